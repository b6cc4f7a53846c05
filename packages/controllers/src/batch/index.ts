// Curated named exports of the batch controllers.
export {};

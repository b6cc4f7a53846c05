// Curated named exports of the core controllers.
export {};

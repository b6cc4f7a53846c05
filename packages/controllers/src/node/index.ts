// Curated named exports of the node controllers.
export {};

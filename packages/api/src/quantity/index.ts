// Filled in by the quantity work; curated named exports only.
export {};

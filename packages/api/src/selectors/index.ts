// Filled in by the selectors work; curated named exports only.
export {};

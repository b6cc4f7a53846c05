// Curated named exports of the workloads controllers.
export {};

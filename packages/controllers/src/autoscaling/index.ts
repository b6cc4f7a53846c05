// Curated named exports of the autoscaling controllers.
export {};

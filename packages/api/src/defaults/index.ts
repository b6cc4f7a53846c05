/** Defaulting functions keyed by `apiVersion/Kind` (e.g. `apps/v1/Deployment`). */
export const defaulters: Record<string, (obj: any) => void> = {};

/**
 * `RunPodSandbox` → `runPodSandbox`: the domain name of a proto RPC, which is the name of
 * the method a contract's impl provides. Proto RPC names stay in the adapters; domain code
 * only ever sees the result of this function.
 */
export function domainMethodName(rpc: string): string {
  return rpc.charAt(0).toLowerCase() + rpc.slice(1);
}

/**
 * The impl's method for a proto RPC (`RunPodSandbox` → `impl.runPodSandbox`), bound to
 * `impl`, or `undefined` when the impl does not have it (the adapter then answers
 * UNIMPLEMENTED). The lookup happens at this call, so adapters make it once per RPC, when
 * they register the service.
 */
export function findDomainMethod(impl: object, rpc: string): ((request: unknown) => unknown) | undefined {
  const fn = (impl as Record<string, unknown>)[domainMethodName(rpc)];
  return typeof fn === 'function' ? (request: unknown) => (fn as (request: unknown) => unknown).call(impl, request) : undefined;
}

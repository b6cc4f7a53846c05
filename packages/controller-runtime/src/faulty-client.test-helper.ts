import type { Client } from '@bosun/apiserver';

/**
 * A client whose writes and reads (not lists or watches) can be made to hang, ignoring
 * their abort signal as a dead connection would, or to fail, to simulate a paused or
 * partitioned process. `gets` counts reads; `beforeUpdate` runs before every update.
 */
export function faultyClient(inner: Client) {
  let mode: 'ok' | 'hang' | 'fail' = 'ok';
  let release: (() => void)[] = [];
  const state = { gets: 0, beforeUpdate: undefined as undefined | (() => Promise<void>) };
  const gate = async () => {
    if (mode === 'hang') await new Promise<void>((r) => release.push(r));
    if (mode === 'fail') throw new Error('connect ECONNREFUSED');
  };
  const client: Client = {
    ...inner,
    async get(...args: Parameters<Client['get']>) {
      await gate();
      state.gets++;
      return inner.get(...args);
    },
    async create(...args: Parameters<Client['create']>) {
      await gate();
      return inner.create(...args);
    },
    async update(...args: Parameters<Client['update']>) {
      await gate();
      await state.beforeUpdate?.();
      return inner.update(...args);
    },
    async patch(...args: Parameters<Client['patch']>) {
      await gate();
      return inner.patch(...args);
    },
  } as Client;
  return {
    client,
    state,
    set(m: 'ok' | 'hang' | 'fail') {
      mode = m;
      if (m !== 'hang') {
        const rs = release;
        release = [];
        for (const r of rs) r();
      }
    },
  };
}

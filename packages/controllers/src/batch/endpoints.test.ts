import { type Pod, type Service } from '@bosun/api';
import { applyManifests, type Client } from '@bosun/apiserver';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS_LAST_CHANGE_TRIGGER_TIME_ANNOTATION, addEndpointsController, findPort } from './endpoints';
import { seed, setPodStatus, startHarness, until, settle } from './testing';

const getEp = (client: Client, name: string) => client.get('v1', 'Endpoints', 'default', name).catch(() => undefined);
const ips = (addrs: { ip: string }[] | undefined) => (addrs ?? []).map((a) => a.ip);

function pod(name: string, labels: Record<string, string>, ports: { name?: string; containerPort: number }[] = [{ containerPort: 8080 }]): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec: { containers: [{ name: 'c', image: 'kubia', ports }] } };
}

async function runningPod(client: Client, p: Pod, ip: string, ready = true): Promise<void> {
  await client.create(p);
  await setPodStatus(client, p.metadata!.name!, { phase: 'Running', ready, podIP: ip });
}

describe('findPort', () => {
  const p = pod('p', {}, [{ name: 'http', containerPort: 8080 }]);
  it.each([
    ['a numeric targetPort as is', { port: 80, targetPort: 9090 }, 9090],
    ['a named targetPort from the container port of that name', { port: 80, targetPort: 'http' }, 8080],
    ['no port when the pod has no port of that name', { port: 443, targetPort: 'https' }, undefined],
    ['the service port when targetPort is unset', { port: 80 }, 80],
  ])('resolves %s', (_n, sp, want) => expect(findPort(p, sp)).toBe(want));
});

describe('Endpoints controller', () => {
  it('resolves the seed kubia service named ports per pod and groups subsets by port set', async () => {
    await using h = await startHarness(addEndpointsController);
    const { client } = h;
    await applyManifests(client, seed('003_bea7a2b1a17eec52-09-service.yaml'));
    await runningPod(client, pod('kubia-a', { app: 'kubia' }, [{ name: 'http', containerPort: 8080 }, { name: 'https', containerPort: 8443 }]), '10.0.0.1');
    await runningPod(client, pod('kubia-b', { app: 'kubia' }, [{ name: 'http', containerPort: 8080 }]), '10.0.0.2');
    await runningPod(client, pod('other', { app: 'other' }), '10.0.0.9');
    await until(async () => (await getEp(client, 'kubia'))?.subsets?.length === 2, 'two subsets');
    const ep = (await getEp(client, 'kubia'))!;
    expect(ep.subsets).toEqual([
      {
        addresses: [{ ip: '10.0.0.2', targetRef: expect.objectContaining({ kind: 'Pod', name: 'kubia-b', namespace: 'default' }) }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
      {
        addresses: [{ ip: '10.0.0.1', targetRef: expect.objectContaining({ kind: 'Pod', name: 'kubia-a' }) }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'https', port: 8443, protocol: 'TCP' }],
      },
    ]);
    expect(ep.metadata?.annotations?.[ENDPOINTS_LAST_CHANGE_TRIGGER_TIME_ANNOTATION]).toBeDefined();
  });

  it('follows readiness: not-ready pods move to notReadyAddresses and back, deleted pods leave', async () => {
    await using h = await startHarness(addEndpointsController);
    const { client } = h;
    await applyManifests(client, seed('003_bea7a2b1a17eec52-14-service.yaml'));
    await runningPod(client, pod('a', { app: 'kubia' }), '10.0.0.1');
    await runningPod(client, pod('b', { app: 'kubia' }), '10.0.0.2');
    await client.create(pod('no-ip-yet', { app: 'kubia' }));
    await until(async () => ips((await getEp(client, 'kubia-nodeport'))?.subsets?.[0]?.addresses).length === 2, 'two ready');
    expect((await getEp(client, 'kubia-nodeport'))!.subsets).toEqual([
      { addresses: [expect.objectContaining({ ip: '10.0.0.1' }), expect.objectContaining({ ip: '10.0.0.2' })], ports: [{ port: 8080, protocol: 'TCP' }] },
    ]);
    await setPodStatus(client, 'b', { phase: 'Running', ready: false });
    await until(async () => ips((await getEp(client, 'kubia-nodeport'))?.subsets?.[0]?.notReadyAddresses).join() === '10.0.0.2', 'b not ready');
    expect(ips((await getEp(client, 'kubia-nodeport'))!.subsets![0]!.addresses)).toEqual(['10.0.0.1']);
    await setPodStatus(client, 'b', { phase: 'Running', ready: true });
    await until(async () => ips((await getEp(client, 'kubia-nodeport'))?.subsets?.[0]?.addresses).length === 2, 'b ready again');
    await client.delete('v1', 'Pod', 'default', 'a');
    await until(async () => ips((await getEp(client, 'kubia-nodeport'))?.subsets?.[0]?.addresses).join() === '10.0.0.2', 'a gone');
    await client.delete('v1', 'Pod', 'default', 'b');
    await until(async () => (await getEp(client, 'kubia-nodeport'))?.subsets === undefined, 'no subsets');
  });

  it('lists not-ready pods as addresses with publishNotReadyAddresses', async () => {
    await using h = await startHarness(addEndpointsController);
    const { client } = h;
    const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'peers', namespace: 'default' }, spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'db' }, ports: [{ port: 5432 }] } };
    await client.create(svc);
    await runningPod(client, pod('db-0', { app: 'db' }), '10.0.0.5', false);
    await until(async () => ips((await getEp(client, 'peers'))?.subsets?.[0]?.addresses).join() === '10.0.0.5', 'published');
    expect((await getEp(client, 'peers'))!.metadata?.labels).toMatchObject({ 'service.kubernetes.io/headless': '' });
  });

  it('leaves the Endpoints of a Service without selector alone (the seed baidu-endpoints)', async () => {
    await using h = await startHarness(addEndpointsController);
    const { client } = h;
    await applyManifests(client, seed('003_bea7a2b1a17eec52-11-endpoints.yaml'));
    await applyManifests(client, seed('003_bea7a2b1a17eec52-13-service.yaml'));
    await runningPod(client, pod('x', {}), '10.0.0.1');
    await settle();
    expect(ips((await getEp(client, 'baidu-endpoints'))!.subsets![0]!.addresses)).toEqual(['220.181.38.148', '39.156.69.79']);
  });

  it('deletes the Endpoints when their Service is deleted', async () => {
    await using h = await startHarness(addEndpointsController);
    const { client } = h;
    await applyManifests(client, seed('003_bea7a2b1a17eec52-15-service.yaml'));
    await until(async () => !!(await getEp(client, 'kubia-loadbalancer')), 'endpoints');
    await client.delete('v1', 'Service', 'default', 'kubia-loadbalancer');
    await until(async () => !(await getEp(client, 'kubia-loadbalancer')), 'endpoints deleted');
  });
});

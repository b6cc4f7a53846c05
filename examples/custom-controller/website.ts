/**
 * The custom kind and its controller: `example.com/v1` `Website`, reconciled into a
 * Deployment. `main.ts` runs it against an API server; test/controllers/custom-controller.test.ts
 * runs the same reconciler on `createTestEnv()`.
 *
 * Read it top to bottom: the type, its registration in a scheme (defaulting and
 * validation), the Deployment it stands for, the reconciler (level-triggered, in the
 * shape of STYLE.md), and the function that adds the controller to a manager.
 */
import { fieldError, isConflict, isNotFound, keyOf, type Deployment, type FieldCause, type ObjectMeta, type Scheme } from '@bosun/api';
import {
  Action,
  Controller,
  TerminalError,
  finalizer,
  isControlledBy,
  setControllerReference,
  updateWithRetry,
  type Manager,
  type Reconcile,
} from '@bosun/controller-runtime';

// ── The kind ────────────────────────────────────────────────────────────────────────

/**
 * A website: `replicas` copies of `image`, served at `domain`. A type alias, not an
 * interface, so that it is assignable to `KubeObject` (whose index signature an
 * interface would not satisfy).
 */
export type Website = {
  apiVersion: 'example.com/v1';
  kind: 'Website';
  metadata: ObjectMeta;
  spec: {
    /** Container image serving the site, e.g. `nginx:1.27`. */
    image: string;
    /** Copies to run. Default 1. */
    replicas?: number;
    /** Where the site is served, e.g. `shop.example.com`. Unique across Websites. */
    domain: string;
  };
  status?: WebsiteStatus;
};

/** What the controller reports back on the Website. */
export interface WebsiteStatus {
  /** The `metadata.generation` this status describes. */
  observedGeneration?: number;
  /** Copies that exist / are ready / are available, from the Deployment's status. */
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  /** `Available` when every copy is available, `Progressing` otherwise. */
  phase?: 'Progressing' | 'Available';
  /** `https://<domain>` once the domain is registered. */
  url?: string;
}

declare module '@bosun/api' {
  interface KindTypes {
    'example.com/v1': { Website: Website };
  }
}

/** The kind, as `Controller.for` and the client name it. */
export const WebsiteKind = { apiVersion: 'example.com/v1', kind: 'Website' } as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Registers `Website` in `scheme` (the CRD equivalent): plural `websites`, short name
 * `ws`, namespaced, status and scale subresources, defaulting (`replicas: 1`) and
 * validation with field paths.
 */
export function registerWebsite(scheme: Scheme): void {
  scheme.register<Website>({
    group: 'example.com',
    version: 'v1',
    kind: 'Website',
    plural: 'websites',
    shortNames: ['ws'],
    namespaced: true,
    scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas' },
    defaulter: (w) => {
      w.spec ??= {} as Website['spec'];
      w.spec.replicas ??= 1;
    },
    validate: (w, old) => {
      const errs: FieldCause[] = [];
      const s = w.spec ?? ({} as Website['spec']);
      if (!s.image) errs.push(fieldError.required('spec.image'));
      const r = s.replicas;
      if (r !== undefined && !(Number.isInteger(r) && r >= 0)) errs.push(fieldError.invalid('spec.replicas', r, 'must be a non-negative integer'));
      if (!s.domain) errs.push(fieldError.required('spec.domain'));
      else if (s.domain.length > 253 || !s.domain.split('.').every((l) => l.length <= 63 && DNS_LABEL.test(l))) {
        errs.push(fieldError.invalid('spec.domain', s.domain, 'must be a lower-case DNS name, e.g. shop.example.com'));
      }
      if (old && old.spec?.domain !== s.domain) errs.push(fieldError.immutable('spec.domain', s.domain));
      return errs;
    },
  });
}

// ── The world outside the API: a DNS registry ───────────────────────────────────────

/**
 * Something the Website stands for outside the API, which owner references cannot
 * clean up: a domain → website registration. This is what the finalizer is for.
 */
export interface DnsRegistry {
  /** Which website (`namespace/name`) holds `domain`, if any. */
  holder(domain: string): string | undefined;
  register(domain: string, website: string): void;
  release(domain: string): void;
}

/** An in-memory {@link DnsRegistry}. */
export function createDnsRegistry(): DnsRegistry & { entries(): [string, string][] } {
  const records = new Map<string, string>();
  return {
    holder: (domain) => records.get(domain),
    register: (domain, website) => void records.set(domain, website),
    release: (domain) => void records.delete(domain),
    entries: () => [...records.entries()],
  };
}

// ── The Deployment a Website stands for ─────────────────────────────────────────────

/** The label on the Deployment and its pods naming their Website. */
export const WEBSITE_LABEL = 'example.com/website';
/** The finalizer that keeps a deleted Website until its domain is released. */
export const WEBSITE_FINALIZER = 'example.com/dns-release';

/** The Deployment `site` wants: same name, its image and replicas, controlled by it. */
export function desiredDeployment(site: Website): Deployment {
  const name = site.metadata.name ?? '';
  const labels = { [WEBSITE_LABEL]: name };
  const d: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: site.metadata.namespace, labels },
    spec: {
      replicas: site.spec.replicas ?? 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'web', image: site.spec.image, ports: [{ name: 'http', containerPort: 80 }] }] },
      },
    },
  };
  // The controller reference makes the Deployment owned (the garbage collector deletes it
  // with the Website) and makes its events reconcile the Website (`.owns(...)`).
  return setControllerReference(site, d);
}

// ── The reconciler ──────────────────────────────────────────────────────────────────

/** What the Website reconciler needs besides the runtime's context. */
export interface WebsiteCtx {
  dns: DnsRegistry;
}

/**
 * Converges one Website: registers its domain, creates or updates its Deployment,
 * copies the Deployment's status back. Level-triggered: it never knows why it runs, so
 * it reads everything it needs from the caches each time and is safe to run again.
 */
const applyWebsite: Reconcile<Website, WebsiteCtx> = async (site, { client, informers, recorder, dns, key }, signal) => {
  const holder = dns.holder(site.spec.domain);
  // Retrying cannot fix a taken domain: the user must change this Website (or the other).
  if (holder && holder !== key) throw new TerminalError(`domain ${site.spec.domain} is already served by website ${holder}`);
  if (!holder) {
    dns.register(site.spec.domain, key);
    recorder.event(site, 'Normal', 'DomainRegistered', `Registered domain ${site.spec.domain}`);
  }

  const deployments = informers.forKind('apps/v1', 'Deployment').cache;
  const want = desiredDeployment(site);
  const have = deployments.get(keyOf(want));
  let current: Deployment | undefined = have;
  if (!have) {
    current = await client.create(want, { signal });
    recorder.event(site, 'Normal', 'CreatedDeployment', `Created deployment ${want.metadata?.name} (${site.spec.replicas} × ${site.spec.image})`);
  } else if (!isControlledBy(have, site)) {
    throw new TerminalError(`deployment ${keyOf(have)} exists and is not controlled by this website`);
  } else {
    const image = have.spec?.template.spec?.containers[0]?.image;
    if (have.spec?.replicas !== want.spec?.replicas || image !== site.spec.image) {
      // Cache objects are frozen: write a changed copy. Conflicts re-read and retry.
      current = await updateWithRetry(client, have, (latest) => ({ ...latest, spec: { ...latest.spec!, replicas: want.spec!.replicas, template: want.spec!.template } }), { signal });
      const changes = [
        have.spec?.replicas !== want.spec?.replicas ? `replicas ${have.spec?.replicas} → ${want.spec?.replicas}` : '',
        image !== site.spec.image ? `image ${image} → ${site.spec.image}` : '',
      ];
      recorder.event(site, 'Normal', 'UpdatedDeployment', `Updated deployment ${want.metadata?.name}: ${changes.filter(Boolean).join(', ')}`);
    }
  }

  const ds = current?.status ?? {};
  const replicas = site.spec.replicas ?? 1;
  const rolledOut = ds.availableReplicas === replicas && ds.updatedReplicas === replicas && ds.replicas === replicas;
  const phase = rolledOut || replicas === 0 ? 'Available' : 'Progressing';
  const status: WebsiteStatus = {
    observedGeneration: site.metadata.generation,
    replicas: ds.replicas ?? 0,
    readyReplicas: ds.readyReplicas ?? 0,
    availableReplicas: ds.availableReplicas ?? 0,
    phase,
    url: `https://${site.spec.domain}`,
  };
  if (JSON.stringify(status) !== JSON.stringify(site.status ?? {})) {
    try {
      await client.updateStatus({ ...site, status }, { signal });
      if (status.phase !== site.status?.phase) recorder.event(site, 'Normal', phase, `${status.availableReplicas}/${replicas} replicas available`);
    } catch (e) {
      // Our cached copy is stale (409) or the Website just went (404): the change that
      // caused it brings us back with the new state.
      if (isConflict(e) || isNotFound(e)) return Action.awaitChange();
      throw e;
    }
  }
  // Nothing to poll: the Deployment's own changes bring us back (`owns`).
  return Action.awaitChange();
};

/**
 * Runs once a Website is being deleted, before it goes. Its Deployment (and the pods)
 * need nothing from us: the garbage collector follows the owner reference. The domain
 * does: release it, or it stays taken forever.
 */
async function releaseDomain(site: Website, { dns, recorder, key }: WebsiteCtx & { recorder: import('@bosun/apiserver').EventRecorder; key: string }): Promise<void> {
  if (dns.holder(site.spec.domain) === key) {
    dns.release(site.spec.domain);
    recorder.event(site, 'Normal', 'DomainReleased', `Released domain ${site.spec.domain}`);
  }
}

/**
 * The Website reconciler: {@link applyWebsite} wrapped with the finalizer helper, which
 * adds `example.com/dns-release` on the first reconcile and, once the Website is being
 * deleted, runs the cleanup and removes the finalizer so the API server can delete it.
 */
export const reconcileWebsite: Reconcile<Website, WebsiteCtx> = finalizer<Website, WebsiteCtx>(WEBSITE_FINALIZER, {
  apply: applyWebsite,
  cleanup: async (site, ctx) => releaseDomain(site, ctx),
});

/**
 * Adds the Website controller (`website`) to `manager`: reconciles Websites, and a
 * Website again whenever a Deployment it controls changes. Errors other than a
 * {@link TerminalError} are retried with the default per-key backoff.
 */
export function addWebsiteController(manager: Manager, ctx: WebsiteCtx): Controller<Website> {
  const controller = Controller.for<Website>(WebsiteKind)
    .owns('apps/v1', 'Deployment')
    .withConfig({ name: 'website', concurrency: 2 })
    .build<WebsiteCtx>(reconcileWebsite, undefined, ctx);
  manager.add(controller);
  return controller;
}

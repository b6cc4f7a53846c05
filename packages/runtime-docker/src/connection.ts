import Docker from 'dockerode';
import { RealClock, type Clock, type TimerHandle } from '@bosun/api';
import { CriError } from '@bosun/cri';
import { dockerMessage, isConnectionError } from './errors';

/** Where the Docker daemon listens. */
export interface DockerEndpointOptions {
  /** A unix socket path. Wins over `dockerHost`. */
  socketPath?: string;
  /**
   * `unix:///path`, `tcp://host:port` or `http://host:port`, as DOCKER_HOST takes it.
   * Default: `process.env.DOCKER_HOST`, else `unix:///var/run/docker.sock`.
   */
  dockerHost?: string;
}

/** Exponential reconnect backoff (client-go's shape: doubling, capped, jittered by up to 10 %). */
export interface ReconnectBackoff {
  /** First delay in ms. Default 250. */
  initialMs?: number;
  /** Cap in ms. Default 10 000. */
  maxMs?: number;
  /** Largest extra fraction added to each delay at random. Default 0.1. */
  jitter?: number;
  /** The clock the delays run on. Default `RealClock` (`FakeClock` in tests). */
  clock?: Clock;
}

/** The dockerode options for an endpoint, and a human-readable address for messages. */
export function dockerodeOptions(o: DockerEndpointOptions, env: NodeJS.ProcessEnv = process.env): { options: Docker.DockerOptions; address: string } {
  if (o.socketPath) return { options: { socketPath: o.socketPath }, address: `unix://${o.socketPath}` };
  const host = o.dockerHost ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://')) return { options: { socketPath: host.slice('unix://'.length) }, address: host };
  if (host.startsWith('/')) return { options: { socketPath: host }, address: `unix://${host}` };
  const m = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(host);
  if (!m) throw new CriError('InvalidArgument', `invalid Docker host ${JSON.stringify(host)}: expected unix:///path or tcp://host:port`);
  return { options: { host: m[2]!, port: Number(m[3]), protocol: m[1] === 'https' ? 'https' : 'http' }, address: host };
}

/** What the connection knows about the daemon. */
export interface ConnectionState {
  /** True after the last ping or call reached the daemon. */
  up: boolean;
  /** Why the daemon is considered down (empty when up). */
  reason: string;
}

/**
 * A dockerode client plus what the runtime knows of the daemon's health. A call that
 * cannot reach the daemon marks it down and starts a reconnect loop that pings with
 * exponential backoff; while down, calls fail fast with `Unavailable`. When a ping
 * succeeds again, `onUp` listeners run (the runtime resumes its log followers there).
 */
export class DockerConnection {
  readonly docker: Docker;
  readonly address: string;
  private state: ConnectionState = { up: true, reason: '' };
  private reconnecting = false;
  private closed = false;
  private timer: TimerHandle | undefined;
  private readonly listeners: Array<() => void> = [];
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly clock: Clock;
  /** Pings made by the reconnect loop since the daemon last went down. */
  reconnectAttempts = 0;

  constructor(endpoint: DockerEndpointOptions, backoff: ReconnectBackoff = {}) {
    const { options, address } = dockerodeOptions(endpoint);
    this.docker = new Docker(options);
    this.address = address;
    this.initialMs = backoff.initialMs ?? 250;
    this.maxMs = backoff.maxMs ?? 10_000;
    this.jitter = backoff.jitter ?? 0.1;
    this.clock = backoff.clock ?? new RealClock();
  }

  /** The current health. */
  get current(): ConnectionState {
    return { ...this.state };
  }

  /** Registers `fn` to run each time the daemon comes back after being down. */
  onUp(fn: () => void): void {
    this.listeners.push(fn);
  }

  /**
   * Runs `fn` against the daemon. Throws `Unavailable` at once while the daemon is known to
   * be down; a connection failure during `fn` marks it down and starts reconnecting.
   * Other errors pass through untouched.
   */
  async call<T>(fn: (docker: Docker) => Promise<T>): Promise<T> {
    if (!this.state.up) throw new CriError('Unavailable', `the Docker daemon at ${this.address} is unreachable (${this.state.reason}); reconnecting`);
    try {
      return await fn(this.docker);
    } catch (err) {
      if (isConnectionError(err)) {
        this.markDown(err);
        throw new CriError('Unavailable', `the Docker daemon at ${this.address} is unreachable: ${dockerMessage(err)}`, { cause: err });
      }
      throw err;
    }
  }

  /** Pings the daemon now; updates the state and returns it. */
  async ping(): Promise<ConnectionState> {
    try {
      await this.docker.ping();
      this.markUp();
    } catch (err) {
      this.markDown(err);
    }
    return this.current;
  }

  private markUp(): void {
    const wasDown = !this.state.up;
    this.state = { up: true, reason: '' };
    if (wasDown) for (const fn of this.listeners) fn();
  }

  private markDown(err: unknown): void {
    this.state = { up: false, reason: dockerMessage(err) };
    if (this.reconnecting || this.closed) return;
    this.reconnecting = true;
    this.reconnectAttempts = 0;
    const attempt = (delay: number) => {
      this.timer = this.clock.setTimeout(async () => {
        if (this.closed) return;
        this.reconnectAttempts++;
        try {
          await this.docker.ping();
          this.reconnecting = false;
          this.markUp();
        } catch (e) {
          this.state = { up: false, reason: dockerMessage(e) };
          attempt(Math.min(delay * 2, this.maxMs));
        }
      }, delay * (1 + Math.random() * this.jitter));
    };
    attempt(this.initialMs);
  }

  /** Stops reconnecting. Idempotent. */
  close(): void {
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
  }
}

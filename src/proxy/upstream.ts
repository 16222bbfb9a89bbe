// One instance as the proxy sees it: its own keep-alive agent, its in-flight count and its open WebSockets.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { ServerOptions } from 'http-proxy-3';
import { UPSTREAM_MAX_FREE_SOCKETS, UPSTREAM_SOCKET_IDLE_MS } from '../defaults.js';
import type { SlotName } from '../config/config-types.js';

export class Upstream {
  readonly slot: SlotName;
  readonly index: number;
  readonly port: number;
  readonly label: string;
  /** Without an agent http-proxy sends Connection: close both ways; one agent per instance, so a stopped port is never reused. */
  readonly agent: http.Agent;
  readonly webOptions: ServerOptions;
  readonly wsOptions: ServerOptions;
  readonly webSockets = new Set<Socket>();
  inFlight = 0;
  healthy = true;
  pid: number | undefined;
  #idleWaiters: (() => void)[] = [];

  constructor(slot: SlotName, index: number, port: number, pid: number | undefined) {
    this.slot = slot;
    this.index = index;
    this.port = port;
    this.pid = pid;
    this.label = `${slot}-${index + 1}`;
    // The timeout makes the agent honour the backend's Keep-Alive hint instead of reusing a socket it just closed.
    this.agent = new http.Agent({ keepAlive: true, maxFreeSockets: UPSTREAM_MAX_FREE_SOCKETS, timeout: UPSTREAM_SOCKET_IDLE_MS, scheduling: 'lifo' });
    // A URL object, so http-proxy does not parse a string on every request.
    const target = new URL(`http://127.0.0.1:${port}`);
    this.webOptions = { target, agent: this.agent };
    this.wsOptions = { target, ws: true };
  }

  /** Counts a finished (or moved) request off this instance and wakes whoever waits for it to be idle. */
  settle(): void {
    this.inFlight--;
    if (this.inFlight <= 0) this.#wakeIdleWaiters();
  }

  /** Resolves once no request is in flight here (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.inFlight <= 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #wakeIdleWaiters(): void {
    if (this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Requests in flight plus open WebSockets: the slot is idle only when this is 0 everywhere. */
  get busy(): number {
    return this.inFlight + this.webSockets.size;
  }

  closeWebSockets(): number {
    const count = this.webSockets.size;
    for (const socket of this.webSockets) socket.destroy();
    this.webSockets.clear();
    return count;
  }

  /** Called when the instance stops: no pooled socket may outlive it. */
  destroy(): void {
    this.healthy = false;
    this.closeWebSockets();
    this.agent.destroy();
    this.#wakeIdleWaiters();
  }
}

/** Waits until no request is in flight on any of these instances, woken by the last one to finish; false at the timeout. */
export async function waitIdle(upstreams: readonly Upstream[], timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve();
    }, timeoutMs);
  });
  try {
    for (;;) {
      const busy = upstreams.find((up) => up.inFlight > 0);
      if (!busy) return true;
      if (timedOut) return false;
      await Promise.race([busy.whenIdle(), deadline]);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The healthy upstream with the fewest requests in flight, or null; skips one to avoid on a retry. */
export function pickUpstream(upstreams: readonly Upstream[], avoid: Upstream | null = null): Upstream | null {
  let best: Upstream | null = null;
  for (let i = 0; i < upstreams.length; i++) {
    const up = upstreams[i]!;
    if (!up.healthy || up === avoid) continue;
    if (best === null || up.inFlight < best.inFlight) best = up;
  }
  return best;
}

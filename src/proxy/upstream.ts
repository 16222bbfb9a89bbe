// One instance as the proxy sees it: the engines that reach it, its in-flight count and its open WebSockets.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DEFAULT_UPSTREAM_BODY_TIMEOUT_MS, DEFAULT_UPSTREAM_HEADERS_TIMEOUT_MS, UPSTREAM_SOCKET_IDLE_MS } from '../defaults.js';
import type { SlotName } from '../config/config-types.js';
import type { HttpEngine, OnFailure, UpstreamTimeouts, WebSocketEngine } from './engines/engine.js';
import { UndiciHttpEngine } from './engines/undici-http.js';
import { goAway, HttpProxyWebSocketEngine } from './engines/http-proxy-websocket.js';

const ignore = (): void => {};

export const DEFAULT_UPSTREAM_TIMEOUTS: UpstreamTimeouts = {
  headersTimeoutMs: DEFAULT_UPSTREAM_HEADERS_TIMEOUT_MS,
  bodyTimeoutMs: DEFAULT_UPSTREAM_BODY_TIMEOUT_MS,
  idleTimeoutMs: UPSTREAM_SOCKET_IDLE_MS,
};

export class Upstream {
  readonly slot: SlotName;
  readonly index: number;
  readonly port: number;
  readonly label: string;
  readonly timeouts: UpstreamTimeouts;
  readonly webSockets = new Set<Duplex>();
  inFlight = 0;
  healthy = true;
  pid: number | undefined;
  readonly #http: HttpEngine;
  readonly #ws: WebSocketEngine;
  /** Event streams being answered here (the engine reports them), so a drain can end them cleanly. */
  readonly #eventStreams = new Set<ServerResponse>();
  #idleWaiters: (() => void)[] = [];

  constructor(slot: SlotName, index: number, port: number, pid: number | undefined, timeouts: UpstreamTimeouts = DEFAULT_UPSTREAM_TIMEOUTS) {
    this.slot = slot;
    this.index = index;
    this.port = port;
    this.pid = pid;
    this.label = `${slot}-${index + 1}`;
    this.timeouts = timeouts;
    this.#http = new UndiciHttpEngine(port, timeouts, (res) => {
      this.#eventStreams.add(res);
      res.once('close', () => this.#eventStreams.delete(res));
    });
    this.#ws = new HttpProxyWebSocketEngine(port);
  }

  /** Forwards one plain HTTP request here; the engine answers into res, or calls onFailure once. */
  forward(req: IncomingMessage, res: ServerResponse, isClosing: () => boolean, onFailure: OnFailure<ServerResponse>): void {
    this.#http.forward(req, res, isClosing, onFailure);
  }

  /** Tunnels one WebSocket here, counted in webSockets until its client socket closes. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onFailure: OnFailure<Duplex>): void {
    this.webSockets.add(socket);
    socket.once('close', () => this.webSockets.delete(socket));
    this.#ws.upgrade(req, socket, head, onFailure);
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

  /** Sends every open WebSocket here a close frame 1001 (once); one still upgrading is dropped. Returns how many were sent one. */
  closeWebSockets(): number {
    let sent = 0;
    for (const socket of this.webSockets) {
      const result = goAway(socket);
      if (result === 'sent') sent++;
      else if (result === 'not-open') socket.destroy();
    }
    return sent;
  }

  /** Ends the event streams answered here after their last complete chunk (the client sees an end, not a reset). */
  endEventStreams(): number {
    let ended = 0;
    for (const res of this.#eventStreams) {
      if (res.writableEnded) continue;
      // The engine may still write a chunk it already had: after the end that is an error nobody needs to hear.
      res.on('error', ignore);
      res.end();
      ended++;
    }
    return ended;
  }

  /** Called when the instance stops: no pooled connection may outlive it. */
  destroy(): void {
    this.healthy = false;
    this.closeWebSockets();
    this.#http.destroy();
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

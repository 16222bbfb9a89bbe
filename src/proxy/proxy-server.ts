// The data plane: a plain http server that routes each request with the pure router and forwards it with http-proxy-3.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { PROXY_MIN_REQUEST_TIMEOUT_MS } from '../defaults.js';
import { route, type RouteDecision, type RouteSettings } from './router.js';
import { HoldQueue, type HoldLimits, type HoldStats } from './hold-queue.js';
import type { ForwardDecision, RoutingSnapshot, SlotView } from './routing-snapshot.js';
import { pickUpstream, type Upstream } from './upstream.js';
import { answerManifest, sendJson, sendJsonOnSocket } from './http-answers.js';
import { closeGracefully } from './graceful-close.js';
import { answerClientError } from './client-errors.js';
import { prepareForwarding, setSlotHeaders, stripHopByHop } from './forwarded-headers.js';
import { attachClaim, claimOf, mayRetry, releaseClaim, type Claim } from './retry-policy.js';

const PARKED_RECHECK_MS = 250;

export interface ClientTimeouts {
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
}

export interface ProxyCounters {
  requests: number;
  failed: number;
  retried: number;
}

/** Responses by who answered (slot a, slot b, or the proxy itself) and status class (index = status / 100). */
export type StatusCounts = Record<'a' | 'b' | 'proxy', number[]>;

export class ProxyServer {
  readonly server: http.Server;
  snapshot: RoutingSnapshot;
  readonly counters: ProxyCounters = { requests: 0, failed: 0, retried: 0 };
  readonly statusCounts: StatusCounts = { a: [0, 0, 0, 0, 0, 0], b: [0, 0, 0, 0, 0, 0], proxy: [0, 0, 0, 0, 0, 0] };
  #settings: RouteSettings;
  readonly #versionHeader: string;
  readonly #proxy = createProxyServer({ xfwd: false });
  readonly #queue: HoldQueue;
  #recheck: NodeJS.Timeout | null = null;
  #closing = false;

  constructor(settings: RouteSettings, versionHeader: string, snapshot: RoutingSnapshot, hold: HoldLimits, timeouts: ClientTimeouts) {
    this.#settings = settings;
    this.#versionHeader = versionHeader.toLowerCase();
    this.snapshot = snapshot;
    this.#queue = new HoldQueue(hold, (item) => {
      this.counters.failed++;
      this.#countProxy(503);
      sendJson(item.res, 503, { error: 'unavailable', message: `the request waited ${hold.timeoutMs} ms (hold.timeoutMs) and could not be forwarded; retry shortly` }, true);
    });
    // A held request has not sent its body yet: the whole-request timeout must outlast the hold.
    const requestTimeout = hold.timeoutMs + PROXY_MIN_REQUEST_TIMEOUT_MS;
    this.server = http.createServer(
      {
        keepAliveTimeout: timeouts.keepAliveTimeoutMs,
        headersTimeout: timeouts.headersTimeoutMs,
        requestTimeout,
        // Node looks for overdue headers only this often: a slow client is cut off within headersTimeout plus this.
        connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(timeouts.headersTimeoutMs / 4))),
      },
      this.#onRequest,
    );
    this.server.on('upgrade', this.#onUpgrade);
    this.server.on('clientError', answerClientError);
    this.#proxy.on('proxyRes', this.#onProxyRes);
    // Last line of defence: an error without a callback must never reach the process.
    this.#proxy.on('error', (_err: Error, _req: IncomingMessage, res: ServerResponse | Socket) => {
      if (res instanceof http.ServerResponse) {
        if (!res.headersSent) sendJson(res, 502, { error: 'bad_gateway', message: 'the upstream instance failed' }, true);
        else res.destroy();
      } else res?.destroy?.();
    });
  }

  /** The flip, and every other change of the state the proxy sees: one assignment, then waiting requests get their chance. */
  publish(snapshot: RoutingSnapshot): void {
    this.snapshot = snapshot;
    if (this.#queue.length > 0) this.#replay();
  }

  hold(reason: string): void {
    this.#queue.hold(reason);
  }

  release(reason: string): void {
    if (this.#queue.release(reason)) this.#replay();
  }

  holdStats(): HoldStats {
    return this.#queue.stats();
  }

  heldForMs(): number {
    return this.#queue.heldForMs();
  }

  /** Settings that depend on the real listening port (public URL with port 0) are known only after listen. */
  updateSettings(settings: RouteSettings): void {
    this.#settings = settings;
  }

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.counters.requests++;
    if (this.#closing) res.setHeader('connection', 'close');
    this.#answer(req, res, this.#route(req));
  };

  /** The pure router on this request's facts and the current snapshot. */
  #route(req: IncomingMessage): RouteDecision {
    const header = req.headers[this.#versionHeader];
    return route(req.method ?? 'GET', req.url ?? '/', typeof header === 'string' ? header : undefined, this.snapshot, this.#settings);
  }

  #answer(req: IncomingMessage, res: ServerResponse, decision: RouteDecision): void {
    switch (decision.kind) {
      case 'forward':
        if (this.#queue.active) this.#wait(req, res);
        else this.#forward(req, res, decision);
        return;
      case 'manifest':
        this.#countProxy(answerManifest(req, res, this.snapshot.manifest));
        return;
      case 'reject':
        sendJson(res, decision.status, decision.body);
        this.#countProxy(decision.status);
        return;
      case 'unavailable':
        // Nothing live yet (the daemon is starting): wait like a held request rather than refuse.
        this.#wait(req, res);
        return;
    }
  }

  #countProxy(status: number): void {
    this.statusCounts.proxy[(status / 100) | 0]!++;
  }

  #wait(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closing) {
      // Nothing will replay it any more: answer now rather than let the final close cut it off.
      this.#countProxy(503);
      sendJson(res, 503, { error: 'unavailable', message: 'slotswap is shutting down; retry shortly' }, true);
      return;
    }
    if (!this.#queue.add(req, res)) {
      this.counters.failed++;
      this.#countProxy(503);
      sendJson(res, 503, { error: 'unavailable', message: `too many requests are waiting (hold.maxQueued); retry shortly` }, true);
    }
  }

  /** Forwards waiting requests in arrival order, as long as nothing holds them and their slot can take them. */
  #replay(): void {
    if (this.#queue.held) return;
    for (let item = this.#queue.peek(); item !== null; item = this.#queue.peek()) {
      const claim = claimOf(item.req);
      if (claim) {
        // Parked after a failed attempt: already routed and prepared, only an upstream is missing.
        const slot = this.#slotFor(claim);
        const up = pickUpstream(slot.upstreams);
        if (up === null) return;
        this.#queue.shift();
        this.#forwardAgain(item.req, item.res, claim, slot, up);
        continue;
      }
      const decision = this.#route(item.req);
      if (decision.kind === 'unavailable') return;
      const up = decision.kind === 'forward' ? pickUpstream(decision.slot.upstreams) : null;
      if (decision.kind === 'forward' && up === null) return;
      this.#queue.shift();
      if (decision.kind === 'forward') this.#forward(item.req, item.res, decision, up);
      else this.#answer(item.req, item.res, decision);
    }
  }

  #forward(req: IncomingMessage, res: ServerResponse, decision: ForwardDecision, up = pickUpstream(decision.slot.upstreams)): void {
    const slot = decision.slot;
    if (up === null) {
      // No healthy instance at this moment (one is restarting): wait for it, bounded by hold.timeoutMs.
      this.#wait(req, res);
      return;
    }
    prepareForwarding(req, decision);
    setSlotHeaders(res, slot, decision.upgradeAvailable);
    const claim: Claim = { up, counted: true, slot, followsLive: decision === slot.forward && this.snapshot.live === slot, attempts: 1 };
    attachClaim(req, claim);
    up.inFlight++;
    res.once('close', () => {
      releaseClaim(claim);
      this.statusCounts[claim.up.slot][(res.statusCode / 100) | 0]!++;
    });
    this.#proxy.web(req, res, up.webOptions, this.#onWebError);
  }

  /** Sends a request that already failed once (or waited parked) to another upstream. */
  #forwardAgain(req: IncomingMessage, res: ServerResponse, claim: Claim, slot: SlotView, up: Upstream): void {
    releaseClaim(claim);
    claim.up = up;
    claim.slot = slot;
    claim.counted = true;
    claim.attempts++;
    up.inFlight++;
    setSlotHeaders(res, slot, null);
    this.#proxy.web(req, res, up.webOptions, this.#onWebError);
  }

  /** The slot a claimed request belongs to now: the live one if it followed live (re-read after a flip). */
  #slotFor(claim: Claim): SlotView {
    return claim.followsLive && this.snapshot.live ? this.snapshot.live : this.snapshot.slots[claim.slot.name];
  }

  readonly #onProxyRes = (proxyRes: IncomingMessage, _req: IncomingMessage, res: ServerResponse): void => {
    // While shutting down, each answer tells its client to take the next request elsewhere.
    stripHopByHop(proxyRes.headers, this.#closing);
    // A backend dying mid-response must not leave the client waiting for the rest.
    proxyRes.once('close', () => {
      if (!proxyRes.complete) res.destroy();
    });
  };

  readonly #onWebError = (err: Error, req: IncomingMessage, res: ServerResponse | Socket): void => {
    if (!(res instanceof http.ServerResponse)) {
      res.destroy();
      return;
    }
    const claim = claimOf(req);
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (claim && mayRetry(claim, req, res, err)) {
      this.counters.retried++;
      // Re-read the live slot: the instance that refused may belong to a slot that is no longer live.
      const slot = this.#slotFor(claim);
      const next = pickUpstream(slot.upstreams, claim.up);
      if (next !== null) {
        this.#forwardAgain(req, res, claim, slot, next);
        return;
      }
      // No sibling: park it until an instance is back (the restart publishes a new snapshot), bounded by hold.timeoutMs.
      releaseClaim(claim);
      this.#wait(req, res);
      // If no restart or flip comes along, look again shortly: the instance may only have reset one connection.
      this.#recheck ??= setTimeout(() => {
        this.#recheck = null;
        this.#replay();
      }, PARKED_RECHECK_MS);
      return;
    }
    this.counters.failed++;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const where = claim ? `instance ${claim.up.label} (port ${claim.up.port})` : 'the upstream instance';
    sendJson(res, 502, { error: 'bad_gateway', message: `${where} failed: ${code || err.message}` }, true);
  };

  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Attach our own error listener before anything else can fail on this socket.
    socket.on('error', () => socket.destroy());
    const decision = this.#route(req);
    if (decision.kind === 'reject') return sendJsonOnSocket(socket, decision.status, decision.body);
    if (this.#queue.active) return sendJsonOnSocket(socket, 503, { error: 'unavailable', message: 'requests are on hold; open the WebSocket again shortly' }, true);
    if (decision.kind !== 'forward') return sendJsonOnSocket(socket, 503, { error: 'unavailable', message: 'no slot can take this WebSocket now' }, true);
    const up = pickUpstream(decision.slot.upstreams);
    if (up === null) return sendJsonOnSocket(socket, 503, { error: 'unavailable', message: `slot ${decision.slot.name} has no healthy instance` }, true);
    prepareForwarding(req, decision);
    const tracked = socket as Socket;
    up.webSockets.add(tracked);
    socket.once('close', () => up.webSockets.delete(tracked));
    this.#proxy.ws(req, tracked, head, up.wsOptions, () => socket.destroy());
  };

  /**
   * Graceful stop: no new connections; requests already on a connection are still served, each answer
   * says Connection: close; once nothing is in flight (or at the deadline) every connection is closed.
   */
  async close(deadlineMs: number, busy: () => number): Promise<void> {
    this.#closing = true;
    this.#queue.flush((item) => sendJson(item.res, 503, { error: 'unavailable', message: 'slotswap is shutting down; retry shortly' }, true));
    await closeGracefully(this.server, deadlineMs, busy);
  }
}

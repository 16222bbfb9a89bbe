// The data plane: a plain http server that routes each request with the pure router, claims an instance and hands
// the request to it (Upstream.forward / Upstream.upgrade); how bytes move is the engines' business (src/proxy/engines).
import type { Socket } from 'node:net';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type https from 'node:https';
import type { Duplex } from 'node:stream';
import { PROXY_MIN_REQUEST_TIMEOUT_MS } from '../defaults.js';
import { performance } from 'node:perf_hooks';
import { route, stickySlotOf, type RouteDecision, type RouteSettings } from './router.js';
import { RequestMeter } from './request-meter.js';
import { HoldQueue, type HoldLimits, type HoldStats } from './hold-queue.js';
import type { ForwardDecision, RoutingSnapshot } from './routing-snapshot.js';
import { pickUpstream, type Upstream } from './upstream.js';
import { answerManifest, sendJson } from './http-answers.js';
import { closeGracefully } from './graceful-close.js';
import { answerClientError } from './client-errors.js';
import { acceptHandedOn, clearSlotHeaders, HANDED_ON_HEADER, handedOnOf, prepareForwarding, setSlotHeaders } from './forwarded-headers.js';
import { socketRequestListeners } from './socket-requests.js';
import { failureAnswer } from './failure-answer.js';
import { AdmissionGate } from './admission-gate.js';
import { endTurn, takeTurn, turnsWaiting, waitTurn } from './connection-turns.js';
import { attachClaim, claimOf, mayRetry, releaseClaim, type Claim } from './retry-policy.js';
import { PROXY_ALLOW, splitAbsoluteForm, targetAnswer, type TargetAnswer } from './request-target.js';
import type { ForwardFailure } from './engines/engine.js';
import { serveAppFile, type AppFiles } from './app-files.js';
import { maintenanceGate, type MaintenanceDecision } from './maintenance-gate.js';
import { BYPASS_HEADER } from './maintenance-bypass.js';
import { answerMaintenance } from './maintenance-answer.js';

/** Queue target of requests that wait for any slot to be live (the daemon is starting). */
const ANY_LIVE = '*';
/** The admission epoch of a request that took its turn (0 without a gate; on its response: set once, read at 'close'). */
const kAdmitted = Symbol('slotswap.admitted');
type Gated = ServerResponse & { [kAdmitted]?: number };
/** Answers some plain-HTTP requests before routing (ACME challenges, the HTTPS redirect, a fleet node's ready route): true if it did. */
export type AnswerFirst = (req: IncomingMessage, res: ServerResponse) => boolean;

interface Pending {
  req: IncomingMessage;
  res: ServerResponse;
}

export interface ClientTimeouts {
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  /** proxy.maxActiveRequests (src/proxy/admission-gate.ts); 0: no limit. */
  maxActiveRequests?: number;
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
  /** Counted in one place only (#count, when the response closes): each response once, by who answered it. */
  readonly statusCounts: StatusCounts = { a: [0, 0, 0, 0, 0, 0], b: [0, 0, 0, 0, 0, 0], proxy: [0, 0, 0, 0, 0, 0] };
  /** Answers by slot and release version (durations, status classes, the analysis window), counted in #count. */
  readonly meter = new RequestMeter();
  #settings: RouteSettings;
  readonly #versionHeader: string;
  readonly #queue: HoldQueue<Pending>;
  /** Responses the proxy wrote itself (even for a request that had been forwarded before). */
  readonly #ownAnswers = new WeakSet<ServerResponse>();
  #closing = false;
  readonly #gate: AdmissionGate | null;
  readonly #answerFirst: AnswerFirst[] = [];
  /** WebSocket upgrades and CONNECT, answered on the raw socket (socket-requests.ts), on every listener. */
  readonly #onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  readonly #onConnect: (req: IncomingMessage, socket: Duplex) => void;
  /** Client files under /_app/ (set by the daemon; null: answered 404). */
  appFiles: AppFiles | null = null;
  /** The maintenance bypass value (derived from the admin token by the daemon); null: no request bypasses maintenance. */
  maintenanceBypass: string | null = null;
  /** The mark of a held request handed on by the previous daemon (forwarded-headers.ts handOnMark); null: none trusted. */
  handOnMark: string | null = null;
  /** Set while handing over (slotswap restart): a request that would wait goes to the new daemon instead of a 503. */
  handOn: ((req: IncomingMessage, res: ServerResponse, arrivedAt: number) => void) | null = null;

  constructor(settings: RouteSettings, versionHeader: string, snapshot: RoutingSnapshot, hold: HoldLimits, timeouts: ClientTimeouts) {
    this.#settings = settings;
    this.#versionHeader = versionHeader.toLowerCase();
    this.#gate = timeouts.maxActiveRequests ? new AdmissionGate(timeouts.maxActiveRequests) : null;
    this.snapshot = snapshot;
    this.meter.bind(snapshot);
    this.#queue = new HoldQueue<Pending>(hold, {
      forward: (item) => this.#forwardWaiting(item.value.req, item.value.res),
      timedOut: (item) => {
        this.counters.failed++;
        this.#reply(item.value.res, 503, { error: 'unavailable', message: `the request waited ${hold.timeoutMs} ms (hold.timeoutMs) and could not be forwarded; retry shortly` }, true);
      },
    });
    // A held request has not sent its body yet: the whole-request timeout must outlast the hold.
    const requestTimeout = hold.timeoutMs + PROXY_MIN_REQUEST_TIMEOUT_MS;
    this.server = http.createServer(
      {
        keepAliveTimeout: timeouts.keepAliveTimeoutMs,
        headersTimeout: timeouts.headersTimeoutMs,
        requestTimeout,
        // A request without Host gets the proxy's JSON 400 (request-target.ts), not Node's empty one.
        requireHostHeader: false,
        // Node looks for overdue headers only this often: a slow client is cut off within headersTimeout plus this.
        connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(timeouts.headersTimeoutMs / 4))),
      },
      this.#onRequest,
    );
    const sockets = socketRequestListeners({
      server: this.server,
      counters: this.counters,
      proxyStatusCounts: this.statusCounts.proxy,
      acceptTarget: (req) => this.#acceptTarget(req),
      route: (req) => this.#route(req),
      held: () => this.#queue.held,
    });
    this.#onUpgrade = sockets.upgrade;
    this.#onConnect = sockets.connect;
    this.server.on('upgrade', this.#onUpgrade);
    if (this.#gate !== null) {
      // Accepted connections start unread; the gate reads each once it has a place (src/proxy/admission-gate.ts).
      (this.server as unknown as { pauseOnConnect: boolean }).pauseOnConnect = true;
      this.server.on('connection', this.#onConnection);
    }
    // Without a listener Node closes a CONNECT without a word.
    this.server.on('connect', this.#onConnect);
    this.server.on('clientError', answerClientError);
  }

  /** Another listener (the HTTPS one, src/tls) served by the very handlers of the plain server. */
  attachTo(server: https.Server): void {
    server.on('request', this.#onRequest);
    server.on('upgrade', this.#onUpgrade);
    server.on('connect', this.#onConnect);
    server.on('clientError', answerClientError);
  }

  /**
   * Plain-HTTP requests go to `answer` before routing, in the order these were added (`ahead`: before those already
   * there). One listener asks each in turn: every request is answered once, whoever answers it.
   */
  answerFirst(answer: AnswerFirst, ahead = false): void {
    // Until the first one, requests go straight to routing: the common daemon pays nothing for the list.
    if (this.#answerFirst.length === 0) {
      this.server.removeListener('request', this.#onRequest);
      this.server.on('request', this.#onPlainRequest);
    }
    if (ahead) this.#answerFirst.unshift(answer);
    else this.#answerFirst.push(answer);
  }

  /** The flip, and every other change of the state the proxy sees: one assignment, then waiting requests get their chance. */
  publish(snapshot: RoutingSnapshot): void {
    this.snapshot = snapshot;
    this.meter.bind(snapshot);
    if (this.#queue.length > 0) this.#queue.replay();
  }

  /** The admission gate's figures (proxy.maxActiveRequests), for status and metrics; null when there is no limit. */
  admissionStats(): { limit: number; places: number; admitted: number; waitingConnections: number; waits: number } | null {
    const g = this.#gate;
    return g === null ? null : { limit: g.limit, places: g.places, admitted: g.admitted, waitingConnections: g.waitingConnections, waits: g.waits };
  }

  hold(reason: string): void {
    this.#queue.hold(reason);
  }

  release(reason: string): void {
    if (this.#queue.release(reason)) this.#queue.replay();
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

  readonly #onConnection = (socket: Socket): void => this.#gate!.acceptedPaused(socket);

  readonly #onPlainRequest = (req: IncomingMessage, res: ServerResponse): void => {
    for (const answer of this.#answerFirst) if (answer(req, res)) return;
    this.#onRequest(req, res);
  };

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.counters.requests++;
    // undici lets go of a request body by setting req.socket to null: the connection is kept from here.
    const socket = req.socket;
    // One listener per request for both ends of it: the claim given back and the answer counted ('close' comes once).
    res.on('close', () => this.#closed(req, res, socket));
    // Sent ahead of the answer before it (pipelined): it waits its turn (connection-turns.ts).
    if (takeTurn(socket)) this.#work(req, res);
    else waitTurn(socket, () => this.#work(req, res));
  };

  /** The request's turn on its connection; a fault of ours on one request answers that request, never ends the daemon. */
  #work(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.#workOn(req, res);
    } catch (err) {
      console.error(`slotswap: proxy: ${req.method} ${(req.url ?? '').slice(0, 200)} failed inside the proxy: ${(err as Error).stack ?? String(err)}`);
      this.counters.failed++;
      if (res.headersSent) res.destroy();
      else this.#reply(res, 500, { error: 'internal', message: 'the proxy failed on this request (written to the daemon log); retry it' });
    }
  }

  /** It takes a place at the gate, is checked, routed and answered. */
  #workOn(req: IncomingMessage, res: ServerResponse): void {
    (res as Gated)[kAdmitted] = this.#gate === null ? 0 : this.#gate.arrived(req.socket);
    if (this.#closing) res.setHeader('connection', 'close');
    if (req.headers[HANDED_ON_HEADER] !== undefined) acceptHandedOn(req, this.handOnMark);
    const refused = this.#acceptTarget(req);
    if (refused !== null) return this.#answerTarget(res, refused);
    this.#answer(req, res, this.#route(req));
  }

  /** RFC 9112 (request-target.ts): null to route it; an absolute-form target is routed on its path, its authority is the Host. */
  #acceptTarget(req: IncomingMessage): TargetAnswer | null {
    const url = req.url ?? '/';
    const answer = targetAnswer(req.method, url, req.httpVersion, req.rawHeaders);
    if (answer !== null) return answer;
    const absolute = splitAbsoluteForm(url);
    if (absolute) {
      req.url = absolute.path;
      if (absolute.authority !== '') req.headers.host = absolute.authority;
    }
    return null;
  }

  /** "OPTIONS *" gets the methods the proxy forwards; a target or Host it cannot route gets a 400 and a closed connection. */
  #answerTarget(res: ServerResponse, answer: TargetAnswer): void {
    if (answer.close) res.setHeader('connection', 'close');
    if (answer.body !== null) return this.#reply(res, answer.status, answer.body);
    this.#ownAnswers.add(res);
    res.writeHead(answer.status, { allow: PROXY_ALLOW });
    res.end();
  }

  /** The pure router on this request's facts and the current snapshot; a retry is routed on the target as first sent. */
  #route(req: IncomingMessage): RouteDecision | MaintenanceDecision {
    const method = req.method ?? 'GET';
    const url = claimOf(req)?.url ?? req.url ?? '/';
    // Maintenance first (src/proxy/maintenance-gate.ts); while it is off this costs one property read.
    const maintenance = this.snapshot.maintenance;
    if (maintenance) {
      const bypass = req.headers[BYPASS_HEADER];
      const held = maintenanceGate({ method, url, cookie: req.headers.cookie, bypassHeader: typeof bypass === 'string' ? bypass : undefined }, maintenance, this.maintenanceBypass, this.#settings.manifestPath);
      if (held) return held;
    }
    const header = req.headers[this.#versionHeader];
    const version = typeof header === 'string' ? header : undefined;
    // The cookie and a random number are request facts only while a canary runs: the common request reads neither.
    if (this.snapshot.canary) return route(method, url, version, this.snapshot, this.#settings, stickySlotOf(req.headers.cookie), Math.random());
    return route(method, url, version, this.snapshot, this.#settings);
  }

  #answer(req: IncomingMessage, res: ServerResponse, decision: RouteDecision | MaintenanceDecision): void {
    switch (decision.kind) {
      case 'maintenance':
        this.#ownAnswers.add(res);
        if (!res.headersSent) clearSlotHeaders(res);
        answerMaintenance(req, res, decision.view);
        return;
      case 'forward':
        // Behind requests already waiting for the same slot (arrival order), or until an instance is healthy.
        if (this.#queue.mustWait(decision.slot.name) || !this.#send(req, res, decision)) this.#wait(req, res, decision.slot.name);
        return;
      case 'manifest':
        answerManifest(req, res, this.snapshot.manifest);
        return;
      case 'reject':
        this.#reply(res, decision.status, decision.body);
        return;
      case 'app-file':
        serveAppFile(this.appFiles, req, res, decision);
        return;
      case 'unavailable':
        // Nothing live yet (the daemon is starting): wait like a held request rather than refuse.
        this.#wait(req, res, ANY_LIVE);
        return;
    }
  }

  /** The response closed: its claim is given back, then it is counted. */
  #closed(req: IncomingMessage, res: ServerResponse, socket: Socket): void {
    const admitted = (res as Gated)[kAdmitted];
    // Never worked on: its connection closed while it waited for its turn.
    if (admitted === undefined) return;
    // A connection with requests already read (or an upgrade) waiting needs no place to be read again.
    this.#gate?.ended(turnsWaiting(socket) ? null : socket, admitted);
    const claim = claimOf(req);
    if (claim !== undefined) releaseClaim(claim);
    this.#count(req, res, claim);
    endTurn(socket);
  }

  /** The one place responses are counted: once each, by who answered (the proxy, or the slot of the last instance tried). */
  #count(req: IncomingMessage, res: ServerResponse, claim = claimOf(req)): void {
    // The client went away before any answer: nothing was answered, nothing is counted.
    if (!res.headersSent) return;
    const who = claim === undefined || this.#ownAnswers.has(res) ? 'proxy' : claim.up.slot;
    this.statusCounts[who][(res.statusCode / 100) | 0]!++;
    if (claim !== undefined) this.meter.count(claim.up.slot, res.statusCode, claim.startedAt, performance.now());
  }

  /** An answer the proxy writes itself. */
  #reply(res: ServerResponse, status: number, body: unknown, retryAfter = false): void {
    this.#ownAnswers.add(res);
    if (!res.headersSent) clearSlotHeaders(res);
    sendJson(res, status, body, retryAfter);
  }

  #wait(req: IncomingMessage, res: ServerResponse, target: string): void {
    if (this.#closing && this.handOn) return this.handOn(req, res, handedOnOf(req)?.since ?? Date.now());
    if (this.#closing) {
      // Nothing will replay it any more: answer now rather than let the final close cut it off.
      this.#reply(res, 503, { error: 'unavailable', message: 'slotswap is shutting down; retry shortly' }, true);
      return;
    }
    const item = this.#queue.add(target, { req, res }, handedOnOf(req)?.since);
    if (item === null) {
      this.counters.failed++;
      this.#reply(res, 503, { error: 'unavailable', message: `too many requests are waiting (hold.maxQueued); retry shortly` }, true);
      return;
    }
    res.once('close', () => (item.closed = true));
  }

  /** A waiting request, routed again on the current snapshot (it may have flipped); false when its target cannot take it yet. */
  #forwardWaiting(req: IncomingMessage, res: ServerResponse): boolean {
    const decision = this.#route(req);
    if (decision.kind === 'unavailable') return false;
    if (decision.kind === 'forward') return this.#send(req, res, decision);
    this.#answer(req, res, decision);
    return true;
  }

  /** Forwards to the least busy healthy instance of the decision's slot (not `avoid`); false when there is none. */
  #send(req: IncomingMessage, res: ServerResponse, decision: ForwardDecision, avoid: Upstream | null = null): boolean {
    const up = pickUpstream(decision.slot.upstreams, avoid);
    if (up === null) return false;
    let claim = claimOf(req);
    if (claim) {
      // A retry or a replay after parking: the claim moves to the new instance, the URL is prepared afresh.
      releaseClaim(claim);
      req.url = claim.url;
      claim.up = up;
      claim.attempts++;
      clearSlotHeaders(res);
    } else {
      // Given back when the response closes (#closed).
      claim = { up, counted: false, url: req.url ?? '/', attempts: 1, startedAt: performance.now() } satisfies Claim;
      attachClaim(req, claim);
    }
    claim.counted = true;
    up.inFlight++;
    prepareForwarding(req, decision);
    setSlotHeaders(res, decision.slot, decision.upgradeAvailable, decision.assign === true);
    up.forward(req, res, this.#isClosing, this.#onForwardFailure);
    return true;
  }

  /** While shutting down, each answer tells its client to take the next request elsewhere. */
  readonly #isClosing = (): boolean => this.#closing;

  readonly #onForwardFailure = (failure: ForwardFailure, req: IncomingMessage, res: ServerResponse): void => {
    const claim = claimOf(req);
    if (claim && mayRetry(claim, req, res, failure)) {
      this.counters.retried++;
      const failed = claim.up;
      releaseClaim(claim);
      // Retries go through the router like first tries: the slot may have flipped, stopped or lost the instance meanwhile.
      const decision = this.#route(req);
      if (decision.kind !== 'forward') return this.#answer(req, res, decision);
      // No sibling: park it for its slot; a publish or the queue's sweep replays it, bounded by hold.timeoutMs.
      if (!this.#send(req, res, decision, failed)) this.#wait(req, res, decision.slot.name);
      return;
    }
    this.counters.failed++;
    const answer = failureAnswer(failure, res.headersSent, claim?.up ?? null);
    if (answer.kind === 'cut') res.destroy();
    else this.#reply(res, answer.status, answer.body, true);
  };

  /**
   * Graceful stop: no new connections; requests already on a connection are still served, each answer
   * says Connection: close; once nothing is in flight (or at the deadline) every connection is closed.
   */
  async close(deadlineMs: number, busy: () => number): Promise<void> {
    this.#closing = true;
    this.#gate?.close();
    // On a restart the waiting requests go to the new daemon (in arrival order), else they are answered now.
    const handOn = this.handOn;
    if (handOn) this.#queue.flush((item) => handOn(item.value.req, item.value.res, item.arrivedAt));
    else this.#queue.flush((item) => this.#reply(item.value.res, 503, { error: 'unavailable', message: 'slotswap is shutting down; retry shortly' }, true));
    await closeGracefully(this.server, deadlineMs, busy);
  }
}

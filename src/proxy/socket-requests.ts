// The requests answered on the raw socket instead of a response: WebSocket upgrades (routed like any request, then
// handed to the instance) and CONNECT (refused: slotswap is no forward proxy). Every answer here is counted as the proxy's.
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RouteDecision } from './router.js';
import type { MaintenanceDecision } from './maintenance-gate.js';
import { pickUpstream } from './upstream.js';
import { sendJsonOnSocket } from './http-answers.js';
import { dropForwardedAliases, prepareForwarding } from './forwarded-headers.js';
import { PROXY_ALLOW, type TargetAnswer } from './request-target.js';
import { isWebSocketUpgrade, serveAsPlainRequest } from './upgrade-fallback.js';
import { answerMaintenanceOnSocket } from './maintenance-answer.js';
import { afterTurns, turnTaken } from './connection-turns.js';
import type { ForwardFailure } from './engines/engine.js';

const CONNECT_REFUSED = {
  error: 'method_not_allowed',
  message: 'CONNECT is not supported: slotswap is a reverse proxy, not a forward proxy; send the request to it directly',
} as const;

/** What the socket path needs of the proxy server: its router, its checks and its counters. */
export interface SocketRequestContext {
  /** The plain server, which answers an upgrade that is not a WebSocket as a normal request. */
  server: http.Server;
  counters: { requests: number };
  /** Proxy answers by status class (index = status / 100). */
  proxyStatusCounts: number[];
  acceptTarget: (req: IncomingMessage) => TargetAnswer | null;
  route: (req: IncomingMessage) => RouteDecision | MaintenanceDecision;
  held: () => boolean;
}

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
type ConnectListener = (req: IncomingMessage, socket: Duplex) => void;

const kErrorGuarded = Symbol('slotswap.errorGuarded');
/** Shared, so it keeps nothing of any request alive; `this` is the socket. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Our error listener, once per socket: an Upgrade served as a plain request comes back here on the same socket each time. */
function guardErrors(socket: Duplex & { [kErrorGuarded]?: true }): void {
  if (socket[kErrorGuarded]) return;
  socket[kErrorGuarded] = true;
  socket.on('error', destroyOnError);
}

export function socketRequestListeners(ctx: SocketRequestContext): { upgrade: UpgradeListener; connect: ConnectListener } {
  const reply = (socket: Duplex, status: number, body: unknown, retryAfter = false, headers: readonly (readonly [string, string])[] = []): void => {
    ctx.proxyStatusCounts[(status / 100) | 0]!++;
    sendJsonOnSocket(socket, status, body, retryAfter, headers);
  };
  const onUpgradeFailure = (failure: ForwardFailure, _req: IncomingMessage, socket: Duplex): void => {
    // Nothing of the instance's answer has reached the client: it gets a 502, not a socket closed without a word.
    if (failure.code === 'refused' || failure.code === 'reset-before-response') {
      reply(socket, 502, { error: 'bad_gateway', message: `the instance did not take the WebSocket (${failure.detail}); open it again shortly` }, true);
    } else socket.destroy();
  };
  const connect: ConnectListener = (_req, socket) => {
    guardErrors(socket);
    ctx.counters.requests++;
    reply(socket, 405, CONNECT_REFUSED, false, [['allow', PROXY_ALLOW]]);
  };
  const upgrade: UpgradeListener = (req, socket, head) => {
    // Our own error listener before anything else can fail on this socket (Node has taken its own off).
    guardErrors(socket);
    // Pipelined behind plain requests: the socket is handed on once their answers are written.
    if (turnTaken(socket)) afterTurns(socket, () => takeOverSafely(req, socket, head));
    else takeOverSafely(req, socket, head);
  };
  /** A fault of ours on one upgrade closes that socket and is logged; it never ends the daemon. */
  const takeOverSafely: UpgradeListener = (req, socket, head) => {
    try {
      takeOver(req, socket, head);
    } catch (err) {
      console.error(`slotswap: proxy: the upgrade of ${(req.url ?? '').slice(0, 200)} failed inside the proxy: ${(err as Error).stack ?? String(err)}`);
      socket.destroy();
    }
  };
  const takeOver: UpgradeListener = (req, socket, head) => {
    // Not a WebSocket: the plain request path answers it (counted there).
    if (!isWebSocketUpgrade(req)) return serveAsPlainRequest(ctx.server, req, socket, head);
    ctx.counters.requests++;
    const refused = ctx.acceptTarget(req);
    if (refused !== null) return reply(socket, refused.status, refused.body);
    const decision = ctx.route(req);
    if (decision.kind === 'maintenance') {
      ctx.proxyStatusCounts[5]!++;
      return answerMaintenanceOnSocket(socket, decision.view);
    }
    if (decision.kind === 'reject') return reply(socket, decision.status, decision.body);
    if (ctx.held()) return reply(socket, 503, { error: 'unavailable', message: 'requests are on hold; open the WebSocket again shortly' }, true);
    if (decision.kind === 'manifest' || decision.kind === 'app-file') {
      return reply(socket, 400, { error: 'bad_request', message: `${(req.url ?? '').slice(0, 200)} is answered by the proxy over plain HTTP, not as a WebSocket; open the WebSocket on a path of the app` });
    }
    if (decision.kind !== 'forward') return reply(socket, 503, { error: 'unavailable', message: 'no slot can take this WebSocket now' }, true);
    const up = pickUpstream(decision.slot.upstreams);
    if (up === null) return reply(socket, 503, { error: 'unavailable', message: `slot ${decision.slot.name} has no healthy instance` }, true);
    dropForwardedAliases(req.headers);
    // "websocket, foo" is a WebSocket to us; http-proxy-3 takes only "websocket" and would close it without a word.
    req.headers.upgrade = 'websocket';
    prepareForwarding(req, decision);
    up.upgrade(req, socket, head, onUpgradeFailure);
  };
  return { upgrade, connect };
}

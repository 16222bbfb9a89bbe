// WebSocket upgrades on http-proxy-3 (the card's library stays where it is strongest), with the two sockets joined so
// that when either side ends, errors or vanishes without a close frame, the other is ended and both are freed.
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { WEBSOCKET_CLOSE_LINGER_MS } from '../../defaults.js';
import type { FailureCode, ForwardFailure, OnFailure, WebSocketEngine } from './engine.js';

const kUpgraded = Symbol('slotswap.upgraded');
type Tracked = Duplex & { [kUpgraded]?: boolean };

/** The socket error of a tunnel, in our terms: refused before the backend answered, a reset before or after the 101. */
export function websocketFailureOf(err: Error, upgraded: boolean): ForwardFailure {
  const detail = (err as NodeJS.ErrnoException).code ?? err.message;
  const code: FailureCode = detail === 'ECONNREFUSED' ? 'refused' : upgraded ? 'reset-after-response' : 'reset-before-response';
  return { code, detail };
}

/**
 * Ends both sides once either one is done (http-proxy-3 only half-closes the backend when the client goes, and a
 * backend that ignores the half-close keeps both descriptors forever); destroys them if they cannot flush in time.
 */
export function joinSockets(client: Duplex, upstream: Socket): void {
  let finished = false;
  let closed = 0;
  let timer: NodeJS.Timeout | null = null;
  const onClosed = (): void => {
    if (++closed === 2 && timer !== null) clearTimeout(timer);
  };
  const finish = (): void => {
    if (finished) return;
    finished = true;
    const socket = client as Socket;
    if (typeof socket.destroySoon === 'function') socket.destroySoon();
    else client.end();
    upstream.destroySoon();
    if (closed < 2) {
      timer = setTimeout(() => {
        client.destroy();
        upstream.destroy();
      }, WEBSOCKET_CLOSE_LINGER_MS);
      timer.unref();
    }
  };
  for (const socket of [client, upstream]) {
    socket.once('close', onClosed);
    socket.once('close', finish);
    socket.once('end', finish);
    socket.on('error', finish);
  }
  if (client.destroyed || upstream.destroyed) finish();
}

/** One http-proxy-3 server for every instance: it holds no per-target state, each call names its target. */
type WsProxy = ReturnType<typeof createProxyServer<typeof IncomingMessage, typeof ServerResponse, Error>>;
let shared: WsProxy | null = null;

function proxyServer(): WsProxy {
  if (shared !== null) return shared;
  const proxy = createProxyServer<typeof IncomingMessage, typeof ServerResponse, Error>({ xfwd: false });
  // Last line of defence: an error without a callback must never reach the process.
  proxy.on('error', (_err: Error, _req: IncomingMessage, socket: unknown) => (socket as Duplex | undefined)?.destroy?.());
  proxy.on('proxyReqWs', (proxyReq: ClientRequest, _req: IncomingMessage, socket: Duplex) => {
    proxyReq.once('upgrade', (_res: IncomingMessage, upstream: Socket) => {
      (socket as Tracked)[kUpgraded] = true;
      joinSockets(socket, upstream);
    });
  });
  shared = proxy;
  return proxy;
}

export class HttpProxyWebSocketEngine implements WebSocketEngine {
  readonly #options: { target: URL; ws: true };

  constructor(port: number) {
    this.#options = { target: new URL(`http://127.0.0.1:${port}`), ws: true };
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onFailure: OnFailure<Duplex>): void {
    proxyServer().ws(req, socket, head, this.#options, (err: Error) => onFailure(websocketFailureOf(err, (socket as Tracked)[kUpgraded] === true), req, socket));
  }
}

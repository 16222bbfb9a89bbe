// WebSocket upgrades on http-proxy-3 (the card's library stays where it is strongest), with the two sockets joined so
// that when either side ends, errors or vanishes without a close frame, the other is ended and both are freed.
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { WEBSOCKET_CLOSE_LINGER_MS, WEBSOCKET_GOING_AWAY_LINGER_MS } from '../../defaults.js';
import type { FailureCode, ForwardFailure, OnFailure, WebSocketEngine } from './engine.js';
import { BYPASS_HEADER, withoutBypassCookie } from '../maintenance-bypass.js';

const kUpgraded = Symbol('slotswap.upgraded');
type Tracked = Duplex & { [kUpgraded]?: boolean };

/** The socket error of a tunnel, in our terms: refused before the backend answered, a reset before or after the 101. */
export function websocketFailureOf(err: Error, upgraded: boolean): ForwardFailure {
  const detail = (err as NodeJS.ErrnoException).code ?? err.message;
  const code: FailureCode = detail === 'ECONNREFUSED' ? 'refused' : upgraded ? 'reset-after-response' : 'reset-before-response';
  return { code, detail };
}

/** RFC 6455 close frame, server to client (unmasked): code 1001 "going away". */
const GOING_AWAY_REASON = Buffer.from('going away', 'utf8');
export const GOING_AWAY_FRAME = Buffer.concat([Buffer.from([0x88, 2 + GOING_AWAY_REASON.length, 0x03, 0xe9]), GOING_AWAY_REASON]);

/** Where the frames of one direction end, so a close frame is never written into the middle of one. */
export class FrameBoundary {
  #header: number[] = [];
  /** Bytes of the current frame (after its header) still to come. */
  #left = 0;

  get atBoundary(): boolean {
    return this.#left === 0 && this.#header.length === 0;
  }

  /** Reads a chunk; with stopAtBoundary, stops at the first frame end and says how many bytes it took. */
  feed(chunk: Buffer, stopAtBoundary = false): number {
    let i = 0;
    while (i < chunk.length) {
      if (this.#left > 0) {
        const take = Math.min(this.#left, chunk.length - i);
        this.#left -= take;
        i += take;
        if (this.#left === 0 && stopAtBoundary) return i;
        continue;
      }
      if (stopAtBoundary && this.#header.length === 0) return i;
      this.#header.push(chunk[i++]!);
      const header = this.#header;
      if (header.length < 2) continue;
      const len7 = header[1]! & 0x7f;
      const size = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (header[1]! & 0x80 ? 4 : 0);
      if (header.length < size) continue;
      let length = len7;
      if (len7 >= 126) {
        length = 0;
        for (let b = 2; b < (len7 === 126 ? 4 : 10); b++) length = length * 256 + header[b]!;
      }
      this.#header = [];
      this.#left = length;
      if (length === 0 && stopAtBoundary) return i;
    }
    return i;
  }
}

const kGoAway = Symbol('slotswap.goAway');
type Joined = Duplex & { [kGoAway]?: () => GoAwayResult };
export type GoAwayResult = 'sent' | 'closing' | 'not-open';

/**
 * Tells the client of a joined WebSocket that the server is going away (close 1001, written between two frames of
 * the backend's), then ends both sides after a short linger; 'not-open' for a socket whose upgrade has not completed.
 */
export function goAway(client: Duplex): GoAwayResult {
  const send = (client as Joined)[kGoAway];
  return send === undefined ? 'not-open' : send();
}

/**
 * Ends both sides once either one is done (http-proxy-3 only half-closes the backend when the client goes, and a
 * backend that ignores the half-close keeps both descriptors forever); destroys them if they cannot flush in time.
 */
export function joinSockets(client: Duplex, upstream: Socket): void {
  let finished = false;
  let closed = 0;
  let timer: NodeJS.Timeout | null = null;
  let goingAway = false;
  let closeSent = false;
  const frames = new FrameBoundary();
  const onClosed = (): void => {
    if (++closed === 2 && timer !== null) clearTimeout(timer);
  };
  const destroyBoth = (): void => {
    client.destroy();
    upstream.destroy();
  };
  const finish = (): void => {
    if (finished) return;
    finished = true;
    const socket = client as Socket;
    if (typeof socket.destroySoon === 'function') socket.destroySoon();
    else client.end();
    upstream.destroySoon();
    if (closed < 2) {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(destroyBoth, WEBSOCKET_CLOSE_LINGER_MS);
      timer.unref();
    }
  };
  const sendClose = (): void => {
    closeSent = true;
    client.write(GOING_AWAY_FRAME);
    // The client answers with its own close frame (forwarded to the backend); then both sides are ended.
    setTimeout(finish, WEBSOCKET_GOING_AWAY_LINGER_MS).unref();
  };
  // Tracks the backend's frames as they pass; once going away, forwards only up to the current frame's end.
  upstream.on('data', (chunk: Buffer) => {
    if (!goingAway) {
      frames.feed(chunk);
      return;
    }
    if (closeSent || finished) return;
    const taken = frames.feed(chunk, true);
    if (taken > 0) client.write(chunk.subarray(0, taken));
    if (frames.atBoundary) sendClose();
  });
  (client as Joined)[kGoAway] = (): GoAwayResult => {
    if (goingAway || finished) return 'closing';
    goingAway = true;
    upstream.unpipe(client);
    upstream.resume();
    // A backend stuck in the middle of a frame cannot hold the close back for long.
    timer = setTimeout(destroyBoth, WEBSOCKET_CLOSE_LINGER_MS);
    timer.unref();
    if (frames.atBoundary) sendClose();
    return 'sent';
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
    // The maintenance bypass is the proxy's own: an upgrade is routed once, so its headers can be changed in place.
    delete req.headers[BYPASS_HEADER];
    if (req.headers.cookie !== undefined) {
      const cookie = withoutBypassCookie(req.headers.cookie);
      if (cookie === null) delete req.headers.cookie;
      else req.headers.cookie = cookie;
    }
    proxyServer().ws(req, socket, head, this.#options, (err: Error) => onFailure(websocketFailureOf(err, (socket as Tracked)[kUpgraded] === true), req, socket));
  }
}

// Plain HTTP on undici's lowest-level API (Pool.dispatch with a handler): one Pool per instance, the request body
// streamed in and the answer streamed out with back-pressure both ways, trailers kept, and undici's errors mapped here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Dispatcher, Pool as UndiciPool } from 'undici';
import type { FailureCode, ForwardFailure, HttpEngine, OnEventStream, OnFailure, UpstreamTimeouts } from './engine.js';
import { CLIENT_CLAIMS, connectionListed, isForwardedAlias, isSlotHeader, slotHeadersOf } from '../forwarded-headers.js';
import { BYPASS_HEADER, withoutBypassCookie } from '../maintenance-bypass.js';
import { ABANDONED_ANSWER_MAX_BYTES, ABANDONED_ANSWER_MAX_MS } from '../../defaults.js';

// Only the Pool: undici's index also loads fetch, WebSocket, caches and more (~9 MB of the daemon's RSS, measured).
const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
type Pool = UndiciPool;

/**
 * Request headers never sent upstream: hop-by-hop ones (undici frames the body itself), Expect (Node answered
 * 100-continue), and what a client claims in a front proxy's name (one set: one look-up per header).
 */
const NOT_UPSTREAM = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings', BYPASS_HEADER, ...CLIENT_CLAIMS]);

/** Response headers that belong to the upstream connection (Trailer is handled apart: it is kept when trailers can follow). */
function isHopByHopResponse(name: string): boolean {
  // Most names are none of these: compare lengths before allocating a lower-cased copy.
  const n = name.length;
  if (n !== 10 && n !== 16 && n !== 2 && n !== 17 && n !== 7) return false;
  const lower = name.toLowerCase();
  return lower === 'connection' || lower === 'keep-alive' || lower === 'proxy-connection' || lower === 'te' || lower === 'transfer-encoding' || lower === 'upgrade';
}

/** undici's and the socket's error codes, in our terms; `responded` says whether the answer had begun. */
export function failureOf(err: Error, responded: boolean): ForwardFailure {
  const detail = (err as NodeJS.ErrnoException).code ?? err.message;
  let code: FailureCode;
  switch (detail) {
    case 'ECONNREFUSED':
    case 'UND_ERR_CONNECT_TIMEOUT':
    // The instance's pool was closed (it stopped) before the request left: nothing reached it.
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      code = 'refused';
      break;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      code = 'timeout';
      break;
    default:
      code = responded ? 'reset-after-response' : 'reset-before-response';
  }
  // A body timeout cuts off an answer already under way: for the policy that is a reset after the response.
  if (code === 'timeout' && responded) code = 'reset-after-response';
  return { code, detail };
}

/** Streams one upstream answer into the client's response; reports a failure once and then writes nothing. */
class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #onEventStream: OnEventStream;
  readonly #isClosing: () => boolean;
  readonly #onFailure: OnFailure<ServerResponse>;
  #abort: ((err?: Error) => void) | null = null;
  #resume: (() => void) | null = null;
  #responded = false;
  #done = false;
  readonly #bodyless: boolean;
  /** Bytes of an answer read on after its client left; -1 while the client is there. */
  #discarded = -1;
  #abandonTimer: NodeJS.Timeout | null = null;

  constructor(req: IncomingMessage, res: ServerResponse, bodyless: boolean, isClosing: () => boolean, onFailure: OnFailure<ServerResponse>, onEventStream: OnEventStream) {
    this.#req = req;
    this.#bodyless = bodyless;
    this.#res = res;
    this.#onEventStream = onEventStream;
    this.#isClosing = isClosing;
    this.#onFailure = onFailure;
    // 'close' comes once: on() spares the once() wrapper per request.
    res.on('close', this.#onClientClose);
  }

  /** The client went away before the answer was complete: stop the upstream request too. */
  readonly #onClientClose = (): void => {
    if (this.#done) return;
    this.#done = true;
    // Aborting a request on a connection destroys the connection: a body-less one is cheaper to let finish unread.
    if (!this.#bodyless) return void this.#abort?.();
    this.#discarded = 0;
    this.#abandonTimer = setTimeout(this.#abandon, ABANDONED_ANSWER_MAX_MS);
  };

  readonly #abandon = (): void => {
    this.#abandonTimer = null;
    this.#abort?.();
  };

  #settleAbandoned(): void {
    if (this.#abandonTimer !== null) clearTimeout(this.#abandonTimer);
    this.#abandonTimer = null;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#done && this.#discarded < 0) abort();
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    // Informational answers (103) are not relayed; 100-continue was answered by our own server.
    if (statusCode < 200 || this.#done) return true;
    const headers: string[] = [];
    let trailer: string | null = null;
    let hasLength = false;
    let contentType: string | null = null;
    const own = slotHeadersOf(this.#res);
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toString('latin1');
      // The slot's own headers (X-Served-By-Slot, X-App-Version...) are the proxy's word, not the instance's.
      if (isHopByHopResponse(name) || (own !== undefined && isSlotHeader(name))) continue;
      const value = raw[i + 1]!.toString('latin1');
      if (name.length === 7 && name.toLowerCase() === 'trailer') {
        trailer = value;
        continue;
      }
      if (name.length === 14 && name.toLowerCase() === 'content-length') hasLength = true;
      else if (name.length === 12 && name.toLowerCase() === 'content-type') contentType = value;
      headers.push(name, value);
    }
    const req = this.#req;
    // Node refuses a Trailer header on an answer that cannot be chunked (HEAD, HTTP/1.0, 204/304, a known length).
    if (trailer !== null && !hasLength && req.method !== 'HEAD' && req.httpVersionMinor === 1 && statusCode !== 204 && statusCode !== 304) headers.push('trailer', trailer);
    if (own !== undefined) for (let i = 0; i < own.length; i++) headers.push(own[i]!);
    // While shutting down, each answer tells its client to take the next request elsewhere.
    if (this.#isClosing()) headers.push('connection', 'close');
    this.#res.writeHead(statusCode, statusText || undefined, headers);
    if (!hasLength && contentType !== null && contentType.toLowerCase().startsWith('text/event-stream')) this.#onEventStream(this.#res);
    this.#resume = resume;
    this.#responded = true;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#done) {
      if (this.#discarded >= 0 && (this.#discarded += chunk.length) > ABANDONED_ANSWER_MAX_BYTES) this.#abandon();
      return true;
    }
    const ok = this.#res.write(chunk);
    // A slow client: undici stops reading the upstream socket until the client's buffer drains.
    if (!ok) this.#res.once('drain', this.#resume!);
    return ok;
  }

  onComplete(trailers: Buffer[] | string[] | null): void {
    if (this.#done) return this.#settleAbandoned();
    this.#done = true;
    const res = this.#res;
    if (trailers !== null && trailers.length > 0) {
      const pairs: [string, string][] = [];
      for (let i = 0; i < trailers.length; i += 2) pairs.push([trailers[i]!.toString('latin1'), trailers[i + 1]!.toString('latin1')]);
      res.addTrailers(pairs);
    }
    res.end();
  }

  onError(err: Error): void {
    // After the client went away the abort comes back here: there is nobody to answer.
    if (this.#done) return this.#settleAbandoned();
    this.#done = true;
    this.#onFailure(failureOf(err, this.#responded), this.#req, this.#res);
  }
}

/** One Pool per instance, so a stopped instance's port is never reached through a connection kept for another. */
export class UndiciHttpEngine implements HttpEngine {
  readonly #pool: Pool;
  readonly #onEventStream: OnEventStream;

  /** `onEventStream` hears of each answer that is a server-sent event stream, once its head is written. */
  constructor(port: number, timeouts: UpstreamTimeouts, onEventStream: OnEventStream = () => {}) {
    this.#onEventStream = onEventStream;
    // Unlimited connections: the pool grows to the concurrency it meets and keeps them (no idle cap, no reconnect storm).
    this.#pool = new Pool(`http://127.0.0.1:${port}`, {
      keepAliveTimeout: timeouts.idleTimeoutMs,
      headersTimeout: timeouts.headersTimeoutMs,
      bodyTimeout: timeouts.bodyTimeoutMs,
      pipelining: 1,
    });
  }

  forward(req: IncomingMessage, res: ServerResponse, isClosing: () => boolean, onFailure: OnFailure<ServerResponse>): void {
    const withBody = hasBody(req);
    const handler = new ForwardHandler(req, res, !withBody, isClosing, onFailure, this.#onEventStream);
    const headers: string[] = [];
    const incoming = req.headers;
    const listed = connectionListed(incoming.connection);
    for (const name in incoming) {
      if (NOT_UPSTREAM.has(name) || (listed !== null && listed.has(name)) || isForwardedAlias(name)) continue;
      const value = incoming[name];
      if (value === undefined) continue;
      if (name === 'cookie') {
        const cookie = withoutBypassCookie(value as string);
        if (cookie !== null) headers.push(name, cookie);
      } else if (typeof value === 'string') headers.push(name, value);
      else for (let i = 0; i < value.length; i++) headers.push(name, value[i]!);
    }
    const method = (req.method ?? 'GET') as Dispatcher.HttpMethod;
    // A request undici cannot express (an invalid header) comes back through handler.onError, not as a throw.
    this.#pool.dispatch({ path: req.url ?? '/', method, headers, body: withBody ? req : null }, handler);
  }

  destroy(): void {
    this.#pool.destroy().catch(() => {});
  }
}

/** Only a request that says it has a body gets one streamed (a GET without length or chunking has none). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

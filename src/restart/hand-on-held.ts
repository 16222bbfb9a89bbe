// `slotswap restart`, the old daemon's last duty: every request still waiting in its hold queue (or arriving on one of its
// open connections while it closes) is sent once to the new daemon over loopback, marked, and the answer piped back.
// The new daemon queues it with its first arrival time (still on hold), so it is replayed at resume or times out as
// the hold would have. Never sent twice: a hand-on that fails before any answer is answered 503, never retried.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { ListenAt } from './handover-protocol.js';
import { handOnHeaders, stripHopByHop } from '../proxy/forwarded-headers.js';
import { claimOf } from '../proxy/retry-policy.js';
import { sendJson } from '../proxy/http-answers.js';

export interface HandOnTargets {
  /** The plain proxy port, now the new daemon's alone. */
  plain: ListenAt;
  /** The HTTPS port, for requests that reached this daemon over TLS (the plain port may redirect them). */
  https: ListenAt | null;
}

/** Loopback for a wildcard address: the handed-over socket listens there too. */
function connectable(at: ListenAt): string {
  if (at.host === '0.0.0.0' || at.host === '') return '127.0.0.1';
  if (at.host === '::') return '::1';
  return at.host;
}

export class HeldHandOn {
  readonly #targets: HandOnTargets;
  readonly #mark: string;
  #open = 0;
  #total = 0;
  #failed = 0;

  constructor(targets: HandOnTargets, mark: string) {
    this.#targets = targets;
    this.#mark = mark;
  }

  /** Requests handed on whose answer is not over yet (this daemon exits only once it is 0). */
  get open(): number {
    return this.#open;
  }

  get total(): number {
    return this.#total;
  }

  get failed(): number {
    return this.#failed;
  }

  readonly take = (req: IncomingMessage, res: ServerResponse, arrivedAt: number): void => {
    this.#open++;
    this.#total++;
    res.once('close', () => this.#open--);
    const tls = (req.socket as { encrypted?: boolean }).encrypted === true && this.#targets.https !== null;
    const at = tls ? this.#targets.https! : this.#targets.plain;
    const options: https.RequestOptions = {
      host: connectable(at),
      port: at.port,
      method: req.method,
      // A request parked after a failed try had its URL prepared for that try: the target as the client sent it.
      path: claimOf(req)?.url ?? req.url ?? '/',
      headers: handOnHeaders(req, this.#mark, arrivedAt),
      agent: false,
      // Our own listener, which only the new daemon holds now: its certificate names the public host, not loopback.
      ...(tls ? { rejectUnauthorized: false, servername: typeof req.headers.host === 'string' ? req.headers.host.replace(/:\d+$/, '') : undefined } : {}),
    };
    const out = (tls ? https : http).request(options, (answer) => {
      res.statusCode = answer.statusCode ?? 502;
      const headers = { ...answer.headers };
      // This daemon is going away: the client's next request goes to the new one (Connection: close).
      stripHopByHop(headers, true);
      // Node frames the piped body itself.
      delete headers['transfer-encoding'];
      for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
      answer.on('error', () => res.destroy());
      answer.on('aborted', () => res.destroy());
      answer.pipe(res);
    });
    out.on('error', (err) => {
      this.#failed++;
      // Nothing answered yet: the new daemon did not take it (it may have died), so the client is told to retry.
      if (!res.headersSent) {
        res.setHeader('connection', 'close');
        sendJson(res, 503, { error: 'unavailable', message: `slotswap is restarting and the new daemon did not take this held request (${(err as NodeJS.ErrnoException).code ?? err.message}); retry shortly` }, true);
      } else res.destroy();
    });
    // The client went away: the new daemon drops it from its queue when this connection closes.
    res.once('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    // A request parked after a failed try (no body, never retried with one) was read already: nothing left to pipe.
    if (req.readableEnded) out.end();
    else req.pipe(out);
  };
}

// HTTP-01: the tokens of the orders under way and their key authorizations, answered on the proxy's plain-HTTP port.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ACME_CHALLENGE_PREFIX } from '../defaults.js';

export class AcmeChallenges {
  readonly #answers = new Map<string, string>();

  add(token: string, keyAuthorization: string): void {
    this.#answers.set(token, keyAuthorization);
  }

  remove(token: string): void {
    this.#answers.delete(token);
  }

  get size(): number {
    return this.#answers.size;
  }

  /** Answers a challenge request (true), or leaves the request to the proxy (false); unknown tokens go on to the app. */
  answer(req: IncomingMessage, res: ServerResponse): boolean {
    const target = req.url ?? '';
    if (!target.startsWith(ACME_CHALLENGE_PREFIX) || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const keyAuthorization = this.#answers.get(target.slice(ACME_CHALLENGE_PREFIX.length));
    if (keyAuthorization === undefined) return false;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(keyAuthorization), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : keyAuthorization);
    return true;
  }
}

// What the plain-HTTP port answers before routing: ACME HTTP-01 challenges, then (proxy.redirectHttp, once HTTPS serves)
// a 308 to the HTTPS URL; everything else goes to the proxy as before.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyServer } from '../proxy/proxy-server.js';
import { ACME_CHALLENGE_PREFIX } from '../defaults.js';
import type { AcmeChallenges } from './acme-challenges.js';

export interface PlainFront {
  challenges: AcmeChallenges | null;
  /** The HTTPS origin to redirect to, or null when proxy.redirectHttp is off. */
  redirectTo: (() => string) | null;
  /** Redirect only while HTTPS has a certificate: before ACME's first one, plain HTTP serves. */
  httpsReady: () => boolean;
}

export function installPlainFront(proxy: ProxyServer, front: PlainFront): void {
  if (!front.challenges && !front.redirectTo) return;
  proxy.answerFirst((req: IncomingMessage, res: ServerResponse) => {
    if (front.challenges?.answer(req, res)) return true;
    const target = req.url ?? '/';
    if (!front.redirectTo || !front.httpsReady() || target.startsWith(ACME_CHALLENGE_PREFIX)) return false;
    // An absolute-form target's path only: the origin is ours, never the client's.
    const pathOnly = target.startsWith('/') ? target : ((u) => u.pathname + u.search)(new URL(target, 'http://x'));
    res.writeHead(308, { location: `${front.redirectTo()}${pathOnly}`, 'content-type': 'text/plain', 'content-length': '0' });
    res.end();
    return true;
  });
}

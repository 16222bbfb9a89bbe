// The HTTPS side of the proxy: an https.Server on proxy.tls.port with the plain server's handlers, certificates from
// the store (SNI), reloads applied with setSecureContext so open connections keep going, and the plain-HTTP redirect.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/config-types.js';
import type { ProxyServer } from '../proxy/proxy-server.js';
import { closeGracefully } from '../proxy/graceful-close.js';
import { ACME_CHALLENGE_PREFIX, PROXY_MIN_REQUEST_TIMEOUT_MS } from '../defaults.js';
import { CertificateStore, MIN_TLS_VERSION } from './certificate-store.js';

export class HttpsListener {
  readonly server: https.Server;
  readonly store: CertificateStore;

  private constructor(store: CertificateStore, server: https.Server) {
    this.store = store;
    this.server = server;
  }

  /** Loads the certificates (a bad file stops the start with the file's name) and builds the server; listening is the daemon's. */
  static async create(config: Config, proxy: ProxyServer): Promise<HttpsListener> {
    const store = new CertificateStore(config.proxy.tls);
    await store.load();
    const server = https.createServer({
      ...store.defaultCertificate.options,
      minVersion: MIN_TLS_VERSION,
      // HTTP/2 to clients is not offered: hold, replay and WebSocket upgrades are HTTP/1.1 paths (docs/tls.md).
      ALPNProtocols: ['http/1.1'],
      SNICallback: (servername, done) => done(null, store.contextFor(servername) ?? undefined),
      keepAliveTimeout: config.proxy.keepAliveTimeoutMs,
      headersTimeout: config.proxy.headersTimeoutMs,
      requestTimeout: config.hold.timeoutMs + PROXY_MIN_REQUEST_TIMEOUT_MS,
    });
    if (config.proxy.hsts !== '') server.on('request', (_req: IncomingMessage, res: ServerResponse) => res.setHeader('strict-transport-security', config.proxy.hsts));
    proxy.attachTo(server);
    return new HttpsListener(store, server);
  }

  /** Re-reads every file; only when all are good does the server switch (new handshakes), else it throws and keeps the old. */
  async reload(): Promise<ReturnType<CertificateStore['summary']>> {
    await this.store.load();
    this.server.setSecureContext({ ...this.store.defaultCertificate.options });
    return this.store.summary();
  }

  close(deadlineMs: number, busy: () => number): Promise<void> {
    return closeGracefully(this.server as never, deadlineMs, busy);
  }
}

/** proxy.redirectHttp: plain requests get 308 to the same path on the HTTPS URL; the ACME challenge path is still served. */
export function redirectPlainHttp(proxy: ProxyServer, httpsOrigin: () => string): void {
  const serve = proxy.requestHandler;
  proxy.server.removeListener('request', serve);
  proxy.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '/';
    if (target.startsWith(ACME_CHALLENGE_PREFIX)) {
      serve(req, res);
      return;
    }
    // An absolute-form target's path only: the origin is ours, never the client's.
    const pathOnly = target.startsWith('/') ? target : new URL(target, 'http://x').pathname;
    res.writeHead(308, { location: `${httpsOrigin()}${pathOnly}`, 'content-type': 'text/plain', 'content-length': '0' });
    res.end();
  });
}

/** The listener a daemon runs, for the admin route (POST /api/tls/reload); null when TLS is off. */
const listeners = new WeakMap<object, HttpsListener>();
export function registerHttpsListener(owner: object, listener: HttpsListener): void {
  listeners.set(owner, listener);
}
export function httpsListenerOf(owner: object): HttpsListener | null {
  return listeners.get(owner) ?? null;
}

// The HTTPS side of the proxy: an https.Server on proxy.tls.port with the plain server's handlers, certificates from
// the store (SNI), reloads applied with setSecureContext so open connections keep going.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config, TlsConfig } from '../config/config-types.js';
import type { ProxyServer } from '../proxy/proxy-server.js';
import { closeGracefully } from '../proxy/graceful-close.js';
import { PROXY_MIN_REQUEST_TIMEOUT_MS } from '../defaults.js';
import { CertificateStore, MIN_TLS_VERSION, type CertificateSummary } from './certificate-store.js';

export class HttpsListener {
  readonly server: https.Server;
  readonly store: CertificateStore;
  #ready: boolean;

  private constructor(store: CertificateStore, server: https.Server, ready: boolean) {
    this.store = store;
    this.server = server;
    this.#ready = ready;
  }

  /**
   * Builds the server; listening is the daemon's. With `pending` (ACME before its first certificate) it starts with no
   * certificate and refuses handshakes until reload() succeeds; otherwise a bad file stops the start with the file's name.
   */
  static async create(config: Config, proxy: ProxyServer, files: TlsConfig, pending = false): Promise<HttpsListener> {
    const store = new CertificateStore(files);
    if (!pending) await store.load();
    const server = https.createServer({
      ...(pending ? {} : store.defaultCertificate.options),
      minVersion: MIN_TLS_VERSION,
      // HTTP/2 to clients is not offered: hold, replay and WebSocket upgrades are HTTP/1.1 paths (docs/tls.md).
      ALPNProtocols: ['http/1.1'],
      SNICallback: (servername, done) => done(null, store.contextFor(servername) ?? undefined),
      keepAliveTimeout: config.proxy.keepAliveTimeoutMs,
      headersTimeout: config.proxy.headersTimeoutMs,
      requestTimeout: config.hold.timeoutMs + PROXY_MIN_REQUEST_TIMEOUT_MS,
      // As on the plain listener: the proxy answers a request without Host itself.
      requireHostHeader: false,
    });
    if (config.proxy.hsts !== '') server.on('request', (_req: IncomingMessage, res: ServerResponse) => res.setHeader('strict-transport-security', config.proxy.hsts));
    proxy.attachTo(server);
    return new HttpsListener(store, server, !pending);
  }

  /** True once a certificate is served (always, unless ACME has not delivered the first one yet). */
  get ready(): boolean {
    return this.#ready;
  }

  /** Re-reads every file; only when all are good does the server switch (new handshakes), else it throws and keeps the old. */
  async reload(): Promise<CertificateSummary[]> {
    await this.store.load();
    this.server.setSecureContext({ ...this.store.defaultCertificate.options });
    this.#ready = true;
    return this.store.summary();
  }

  close(deadlineMs: number, busy: () => number): Promise<void> {
    return closeGracefully(this.server as never, deadlineMs, busy);
  }
}

// Everything TLS a daemon runs: the HTTPS listener, the plain port's ACME answers and redirect, the file watcher, the
// ACME manager; and what status, metrics and the admin routes read. The daemon makes one and calls start/close.
import type net from 'node:net';
import type { Config, TlsConfig } from '../config/config-types.js';
import type { ProxyServer } from '../proxy/proxy-server.js';
import { acmeEnabled, tlsEnabled } from './tls-config.js';
import { HttpsListener } from './https-listener.js';
import { loadCertificate, type CertificateSummary } from './certificate-store.js';
import { installPlainFront } from './plain-front.js';
import { CertificateWatcher } from './certificate-watcher.js';
import { AcmeChallenges } from './acme-challenges.js';
import { acmeFiles, type AcmeFiles } from './acme-files.js';
import type { AcmeManager, AcmeStatus } from './acme-manager.js';
import { SlotswapError } from '../errors.js';

export interface TlsStatus {
  port: number;
  /** False only while ACME has not delivered the first certificate: HTTPS refuses handshakes, plain HTTP serves. */
  ready: boolean;
  certificates: CertificateSummary[];
  lastReloadError: { trigger: string; message: string; at: string } | null;
  acme: AcmeStatus | null;
}

/** The files the HTTPS listener serves: the configured ones, with ACME's as the default certificate when ACME is on. */
function servedFiles(config: Config, acme: AcmeFiles | null): TlsConfig {
  const tls = config.proxy.tls;
  return acme ? { ...tls, certFile: acme.certFile, keyFile: acme.keyFile } : tls;
}

async function usable(files: AcmeFiles, log: (line: string) => void): Promise<boolean> {
  try {
    await loadCertificate([], files.certFile, files.keyFile);
    return true;
  } catch (err) {
    if ((err as SlotswapError).details?.file && !/ENOENT/.test((err as Error).message)) log(`ACME: the stored certificate cannot be used, a new one is ordered: ${(err as Error).message}`);
    return false;
  }
}

const fronts = new WeakMap<object, TlsFront>();
export function tlsFrontOf(owner: object): TlsFront | null {
  return fronts.get(owner) ?? null;
}

export class TlsFront {
  readonly challenges = new AcmeChallenges();
  #watcher: CertificateWatcher | null = null;
  #acme: AcmeManager | null = null;
  #lastReloadError: TlsStatus['lastReloadError'] = null;

  private constructor(
    readonly listener: HttpsListener,
    readonly bound: { address: string; port: number },
  ) {}

  /** Null when TLS is off. `listen` binds the HTTPS server (the daemon's, so errors name proxy.tls.port). */
  static async start(config: Config, proxy: ProxyServer, owner: object, listen: (server: net.Server) => Promise<{ address: string; port: number }>, log: (line: string) => void): Promise<TlsFront | null> {
    if (!tlsEnabled(config)) return null;
    const files = acmeEnabled(config) ? acmeFiles(config.stateFile) : null;
    // acme-client (~10 MB resident) is loaded only by a daemon that uses ACME.
    const { AcmeManager } = files ? await import('./acme-manager.js') : { AcmeManager: null };
    const caBundle = files && AcmeManager ? await AcmeManager.readCaBundle(config.proxy.tls.acme.caBundle) : null;
    const pending = files ? !(await usable(files, log)) : false;
    const listener = await HttpsListener.create(config, proxy, servedFiles(config, files), pending);
    const front = new TlsFront(listener, await listen(listener.server));
    installPlainFront(proxy, {
      challenges: files ? front.challenges : null,
      redirectTo: config.proxy.redirectHttp ? () => config.proxy.publicUrl : null,
      httpsReady: () => listener.ready,
    });
    const tls = config.proxy.tls;
    const watched = [tls.certFile, tls.keyFile, ...tls.certificates.flatMap((c) => [c.certFile, c.keyFile])];
    front.#watcher = new CertificateWatcher(watched, () => {
      front.reload('file change').then(
        (loaded) => log(`certificate files changed: reloaded ${loaded.length} certificate(s)`),
        (err: unknown) => log(`certificate files changed but were not reloaded, the old certificate stays: ${(err as Error).message}`),
      );
    });
    if (files && AcmeManager) {
      front.#acme = new AcmeManager(config.proxy.tls.acme, files, front.challenges, {
        current: () => {
          const served = listener.ready ? listener.store.loaded.find((c) => c.certFile === files.certFile) : undefined;
          return served ? { validFrom: served.validFrom, validTo: new Date(served.validTo) } : null;
        },
        installed: async () => void (await front.reload('acme')),
        log,
      }, caBundle);
      front.#acme.start();
    }
    fronts.set(owner, front);
    return front;
  }

  /** Re-reads the files (tls reload, SIGHUP, a file change, a new ACME certificate); a failure is kept for status. */
  async reload(trigger: string): Promise<CertificateSummary[]> {
    try {
      const loaded = await this.listener.reload();
      this.#lastReloadError = null;
      return loaded;
    } catch (err) {
      this.#lastReloadError = { trigger, message: (err as Error).message, at: new Date().toISOString() };
      throw err;
    }
  }

  /** slotswap tls renew: one ACME order now, whatever the expiry. */
  async renew(): Promise<CertificateSummary[]> {
    if (!this.#acme) throw new SlotswapError('not_found', 'ACME is off: there is no certificate to renew; set proxy.tls.acme.directoryUrl and domains (docs/tls.md), or use slotswap tls reload for certificate files');
    await this.#acme.renewNow();
    return this.listener.store.summary();
  }

  status(): TlsStatus {
    return {
      port: this.bound.port,
      ready: this.listener.ready,
      certificates: this.listener.ready ? this.listener.store.summary() : [],
      lastReloadError: this.#lastReloadError,
      acme: this.#acme?.status() ?? null,
    };
  }

  async close(deadlineMs: number, busy: () => number): Promise<void> {
    this.#watcher?.close();
    this.#acme?.stop();
    await this.listener.close(deadlineMs, busy);
  }
}

// ACME with acme-client: obtains the certificate for proxy.tls.acme.domains over HTTP-01, stores it under the state
// folder and renews it in the background with back-off; the listener keeps serving the old certificate until a new one is in.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { readFile } from 'node:fs/promises';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as acme from 'acme-client';
import pRetry, { AbortError } from 'p-retry';
import { SlotswapError } from '../errors.js';
import { ACME_CHECK_INTERVAL_MS, ACME_REQUEST_TIMEOUT_MS, ACME_RETRIES, ACME_RETRY_MAX_MS, ACME_RETRY_MIN_MS } from '../defaults.js';
import type { AcmeConfig } from '../config/config-types.js';
import type { AcmeChallenges } from './acme-challenges.js';
import { readIfPresent, writeSecretAtomically, type AcmeFiles } from './acme-files.js';
import { renewalDueAt } from './acme-renewal.js';

export interface AcmeStatus {
  directoryUrl: string;
  domains: string[];
  state: 'obtaining' | 'ok' | 'failed' | 'stopped';
  lastError: string | null;
  lastErrorAt: string | null;
  lastIssuedAt: string | null;
  nextCheckAt: string | null;
}

export interface IssuedCertificate {
  validFrom: Date;
  validTo: Date;
}

export interface AcmeHooks {
  /** The certificate in place now (null: none yet), read from what the listener serves. */
  current(): IssuedCertificate | null;
  /** Called after new files are written; applies them (reload), throws if they cannot be served. */
  installed(): Promise<void>;
  log(line: string): void;
}

export class AcmeManager {
  readonly #status: AcmeStatus;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | null = null;
  #round: Promise<void> | null = null;
  #attempting: Promise<void> | null = null;
  readonly #agent: https.Agent;

  constructor(
    private readonly config: AcmeConfig,
    private readonly files: AcmeFiles,
    private readonly challenges: AcmeChallenges,
    private readonly hooks: AcmeHooks,
    caBundle: string | null,
  ) {
    this.#status = { directoryUrl: config.directoryUrl, domains: config.domains, state: 'obtaining', lastError: null, lastErrorAt: null, lastIssuedAt: null, nextCheckAt: null };
    // acme-client talks through its own axios instance: trust the configured CA for the directory (pebble's, a private CA).
    this.#agent = new https.Agent(caBundle !== null ? { ca: [...tls.rootCertificates, caBundle] } : {});
    acme.axios.defaults.httpsAgent = this.#agent;
    // One back-off, ours: acme-client's own retries (5 of them, up to 25 s apart) would hide a dead CA for over a minute.
    (acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }).acmeSettings.retryMaxAttempts = 0;
    acme.axios.defaults.timeout = ACME_REQUEST_TIMEOUT_MS;
  }

  static async readCaBundle(file: string): Promise<string | null> {
    if (file === '') return null;
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new SlotswapError('invalid_config', `"proxy.tls.acme.caBundle": ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix the path or remove caBundle`);
    }
  }

  status(): AcmeStatus {
    return { ...this.#status };
  }

  /** The background loop: obtain now if there is no certificate or it is due, otherwise wait until it is. */
  start(): void {
    this.#schedule(0);
  }

  stop(): void {
    this.#abort.abort(new Error('the daemon is stopping'));
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#status.state = 'stopped';
  }

  /** One order now, whatever the expiry (slotswap tls renew); after the one under way, not after a round's back-off. */
  async renewNow(): Promise<void> {
    try {
      await this.#attempt(true);
    } catch (err) {
      throw new SlotswapError('operation_failed', `ACME renewal from ${this.config.directoryUrl} failed: ${(err as Error).message}; the current certificate stays (see slotswap status)`);
    }
    if (!this.#round) this.#scheduleFromExpiry();
  }

  #schedule(delayMs: number): void {
    if (this.#abort.signal.aborted) return;
    if (this.#timer) clearTimeout(this.#timer);
    // setTimeout holds 32-bit milliseconds: a far expiry is looked at again at the check interval.
    const wait = Math.min(Math.max(0, delayMs), ACME_CHECK_INTERVAL_MS);
    this.#status.nextCheckAt = new Date(Date.now() + wait).toISOString();
    this.#timer = setTimeout(() => void this.#check(), wait);
    this.#timer.unref();
  }

  #dueInMs(): number {
    const current = this.hooks.current();
    return current ? renewalDueAt(current.validFrom, current.validTo).getTime() - Date.now() : 0;
  }

  #scheduleFromExpiry(): void {
    this.#schedule(this.#dueInMs());
  }

  async #check(): Promise<void> {
    if (this.#round || this.#dueInMs() > 0) return this.#round ? undefined : this.#scheduleFromExpiry();
    // A round: attempts with back-off; one that finds the certificate no longer due (tls renew got one) ends it.
    const round = pRetry(() => (this.#dueInMs() > 0 ? Promise.resolve() : this.#attempt(false)), {
      retries: ACME_RETRIES,
      minTimeout: ACME_RETRY_MIN_MS,
      maxTimeout: ACME_RETRY_MAX_MS,
      signal: this.#abort.signal,
      onFailedAttempt: ({ error, retriesLeft }) => this.hooks.log(`ACME: attempt failed (${retriesLeft} retries left in this round): ${error.message}`),
    });
    this.#round = round;
    try {
      await round;
      this.#scheduleFromExpiry();
    } catch {
      // The round is over: try again after the longest back-off, the old certificate (if any) still served.
      this.#schedule(ACME_RETRY_MAX_MS);
    } finally {
      this.#round = null;
    }
  }

  /** One order at a time: `fresh` (tls renew) waits for the one under way and orders anew; the loop joins it. */
  async #attempt(fresh: boolean): Promise<void> {
    const running = this.#attempting;
    if (running) {
      if (!fresh) return running;
      await running.catch(() => undefined);
    }
    const attempt = this.#order();
    this.#attempting = attempt;
    try {
      await attempt;
    } finally {
      if (this.#attempting === attempt) this.#attempting = null;
    }
  }

  async #order(): Promise<void> {
    if (this.#abort.signal.aborted) throw new AbortError('the daemon is stopping');
    this.#status.state = 'obtaining';
    try {
      await this.#obtain();
      this.#status.state = 'ok';
      this.#status.lastIssuedAt = new Date().toISOString();
    } catch (err) {
      this.#status.state = 'failed';
      const message = (err as Error).message;
      this.#status.lastError = message.startsWith('Cannot read properties of undefined') ? `the ACME server stopped answering during the order (network error: ${message})` : message;
      (err as Error).message = this.#status.lastError;
      this.#status.lastErrorAt = new Date().toISOString();
      throw err;
    }
  }

  async #accountKey(): Promise<string> {
    const existing = await readIfPresent(this.files.accountKey);
    if (existing !== null) return existing;
    const key = (await acme.crypto.createPrivateEcdsaKey()).toString();
    await writeSecretAtomically(this.files.accountKey, key);
    return key;
  }

  /** acme-client turns a network error into "Cannot read properties of undefined": ask the directory first, for the real reason. */
  #reachDirectory(): Promise<void> {
    const url = this.config.directoryUrl;
    return new Promise((resolve, reject) => {
      const transport = url.startsWith('https:') ? https : http;
      const req = transport.get(url, { agent: url.startsWith('https:') ? this.#agent : undefined, timeout: ACME_REQUEST_TIMEOUT_MS }, (res) => {
        res.resume();
        if (res.statusCode === 200) resolve();
        else reject(new Error(`the ACME directory ${url} answered HTTP ${res.statusCode}, expected 200`));
      });
      req.on('timeout', () => req.destroy(new Error(`the ACME directory ${url} did not answer within ${ACME_REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot reach the ACME directory ${url}: ${err.message}${err.code && !err.message.includes(err.code) ? ` (${err.code})` : ''}`)));
    });
  }

  async #obtain(): Promise<void> {
    await this.#reachDirectory();
    const client = new acme.Client({ directoryUrl: this.config.directoryUrl, accountKey: await this.#accountKey() });
    const [certKey, csr] = await acme.crypto.createCsr({ commonName: this.config.domains[0], altNames: this.config.domains }, await acme.crypto.createPrivateEcdsaKey());
    const chain = await client.auto({
      csr,
      ...(this.config.email ? { email: this.config.email } : {}),
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // acme-client's own pre-check fetches http://<domain>:80, which is not where a proxy on another port listens; the CA checks anyway.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => this.challenges.add(challenge.token, keyAuthorization),
      challengeRemoveFn: async (_authz, challenge) => this.challenges.remove(challenge.token),
    });
    if (!new X509Certificate(chain).checkPrivateKey(createPrivateKey(certKey))) throw new Error('the CA returned a certificate that does not match the CSR key');
    // Key first: the certificate file appearing is what marks a complete pair.
    await writeSecretAtomically(this.files.keyFile, certKey.toString());
    await writeSecretAtomically(this.files.certFile, chain);
    await this.hooks.installed();
    const issued = new X509Certificate(chain);
    this.hooks.log(`ACME: certificate for ${this.config.domains.join(', ')} installed (serial ${issued.serialNumber}, valid to ${issued.validTo})`);
  }
}

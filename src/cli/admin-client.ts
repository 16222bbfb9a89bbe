// The CLI's way to the daemon: the admin API over HTTP, with the URL and token from flags, env or the config.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { SlotswapError, isErrorCode } from '../errors.js';
import { loadConfig } from '../config/load-config.js';
import { readToken } from '../admin/admin-token.js';
import { runtimeFile, type DaemonRuntimeInfo } from '../runtime-file.js';
import type { GlobalOptions } from './global-options.js';

export interface RequestOptions {
  query?: Record<string, string | boolean | undefined>;
  body?: Readable | Buffer | string;
  headers?: Record<string, string | number>;
  signal?: AbortSignal;
}

async function readJsonBody(res: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return { error: 'internal', message: text.slice(0, 500) || `HTTP ${res.statusCode}` };
  }
}

export function errorFromBody(status: number, body: unknown): SlotswapError {
  const b = (body ?? {}) as { error?: unknown; message?: unknown };
  const code = isErrorCode(b.error) ? b.error : status === 401 ? 'unauthorized' : status === 409 ? 'conflict' : 'internal';
  const { error: _e, message: _m, ...details } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  // The API's words are for HTTP callers ("send Authorization: ..."); a CLI user passes the token another way.
  if (status === 401) {
    return new SlotswapError('unauthorized', 'the daemon refused the admin token: pass the one in its state/admin.token (admin.tokenFile) with --token or SLOTSWAP_TOKEN, or run from its config (--config)', details);
  }
  return new SlotswapError(code, typeof b.message === 'string' ? b.message : `the daemon answered HTTP ${status}`, details);
}

/** Node's codes for "the server's certificate is not trusted": the fix is --cacert. */
const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']);

async function readCa(file: string | undefined): Promise<string | undefined> {
  if (file === undefined || file === '') return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new SlotswapError('bad_request', `--cacert ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass the CA certificate file (PEM) that signed the admin API's certificate`);
  }
}

export class AdminClient {
  readonly baseUrl: URL;
  readonly #token: string;
  readonly #ca: string | undefined;

  constructor(baseUrl: string, token: string, ca?: string) {
    this.#ca = ca;
    const url = URL.canParse(baseUrl) ? new URL(baseUrl) : null;
    // "localhost:8081" parses as a URL of scheme "localhost:": only http and https reach a daemon.
    if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new SlotswapError('bad_request', `admin URL ${JSON.stringify(baseUrl)} is not an http:// or https:// URL; pass --admin-url http://host:port`);
    }
    this.baseUrl = url;
    this.#token = token;
  }

  static async fromOptions(options: GlobalOptions): Promise<AdminClient> {
    let adminUrl = options.adminUrl ?? process.env.SLOTSWAP_ADMIN_URL;
    let token = options.token ?? process.env.SLOTSWAP_TOKEN;
    const ca = await readCa(options.cacert ?? process.env.SLOTSWAP_CACERT);
    if (adminUrl && token) return new AdminClient(adminUrl, token, ca);
    const config = await loadConfig(options.config);
    if (!adminUrl) {
      if (config.admin.port === 0) {
        try {
          adminUrl = (JSON.parse(await readFile(runtimeFile(config.stateFile), 'utf8')) as DaemonRuntimeInfo).adminUrl;
        } catch {
          throw new SlotswapError('unreachable', `admin.port is 0 and no running daemon wrote ${runtimeFile(config.stateFile)}; is "slotswap start" running?`);
        }
      } else {
        const host = config.admin.host === '0.0.0.0' ? '127.0.0.1' : config.admin.host.includes(':') ? `[${config.admin.host}]` : config.admin.host;
        adminUrl = `${config.admin.tls.certFile ? 'https' : 'http'}://${host}:${config.admin.port}`;
      }
    }
    token ??= process.env.SLOTSWAP_ADMIN_TOKEN ?? (await readToken(config.admin.tokenFile));
    return new AdminClient(adminUrl, token, ca);
  }

  /** Sends a request; resolves with the response whatever its status (callers decide). */
  request(method: string, path: string, options: RequestOptions = {}): Promise<IncomingMessage> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined && value !== false) url.searchParams.set(key, String(value));
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const tlsOptions = url.protocol === 'https:' && this.#ca !== undefined ? { ca: this.#ca } : {};
      const req = transport.request(url, { method, headers: { authorization: `Bearer ${this.#token}`, ...options.headers }, signal: options.signal, ...tlsOptions }, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.name === 'AbortError') reject(err);
        else if (err.code && UNTRUSTED.has(err.code)) {
          const given = this.#ca === undefined ? 'no --cacert was given' : 'the --cacert file given did not sign it';
          reject(new SlotswapError('unreachable', `the admin API at ${this.baseUrl.origin} presents a certificate this CLI does not trust (${err.code}): ${given}; pass --cacert <ca.pem> (or set SLOTSWAP_CACERT) with the CA that signed admin.tls.certFile`));
        }
        else if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID') reject(new SlotswapError('unreachable', `the admin API's certificate does not name ${this.baseUrl.hostname} (${err.message}); use an --admin-url with a name the certificate has, or add it to admin.tls.certFile's subjectAltName`));
        else reject(new SlotswapError('unreachable', `cannot reach the slotswap daemon at ${this.baseUrl.origin} (${err.code ?? err.message}); is "slotswap start" running? pass --admin-url to point elsewhere`));
      });
      const body = options.body;
      if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }

  /** A JSON call; non-2xx answers become the SlotswapError the daemon described. */
  async json<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const res = await this.request(method, path, payload === undefined ? {} : { body: payload, headers: { 'content-type': 'application/json' } });
    const parsed = await readJsonBody(res);
    if ((res.statusCode ?? 500) >= 300) throw errorFromBody(res.statusCode ?? 500, parsed);
    return parsed as T;
  }

  async failure(res: IncomingMessage): Promise<SlotswapError> {
    return errorFromBody(res.statusCode ?? 500, await readJsonBody(res));
  }
}

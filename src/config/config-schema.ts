// Declarative schema of the config: type, default and constraint of every key.
import * as d from '../defaults.js';

export type Field =
  /** optional (a path): "" means none. */
  | { kind: 'string'; default: string; path?: boolean; oneOf?: readonly string[]; pattern?: RegExp; hint?: string; optional?: boolean }
  | { kind: 'int'; default: number; min: number; max: number }
  | { kind: 'strings'; default: string[] }
  | { kind: 'object'; fields: Schema }
  | { kind: 'bool'; default: boolean }
  | { kind: 'objects'; fields: Schema };

export type Schema = Record<string, Field>;

const str = (def: string, extra: Partial<Extract<Field, { kind: 'string' }>> = {}): Field => ({ kind: 'string', default: def, ...extra });
const int = (def: number, min: number, max: number): Field => ({ kind: 'int', default: def, min, max });
const obj = (fields: Schema): Field => ({ kind: 'object', fields });
const bool = (def: boolean): Field => ({ kind: 'bool', default: def });
const PORT_MAX = 65_535;
const HOUR_MS = 3_600_000;

export const CONFIG_SCHEMA: Schema = {
  app: str('sample-api', { pattern: /^[A-Za-z0-9._-]{1,64}$/, hint: 'letters, digits, dot, dash or underscore' }),
  mode: str('bluegreen', { oneOf: ['bluegreen', 'hotswap'] }),
  proxy: obj({
    host: str('0.0.0.0'),
    port: int(d.DEFAULT_PROXY_PORT, 0, PORT_MAX),
    // Empty means http://localhost:<proxy port>.
    publicUrl: str('', { pattern: /^(https?:\/\/[^\s]+)?$/, hint: 'an http:// or https:// URL' }),
    slotPathPrefix: str('/_slots', { pattern: /^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/, hint: 'a path like /_slots' }),
    keepAliveTimeoutMs: int(d.PROXY_KEEP_ALIVE_TIMEOUT_MS, 1_000, 600_000),
    headersTimeoutMs: int(d.PROXY_HEADERS_TIMEOUT_MS, 1_000, 600_000),
    maxActiveRequests: int(d.DEFAULT_PROXY_MAX_ACTIVE_REQUESTS, 0, 1_000_000),
    // TLS is on when certFile is set (docs/tls.md); the files are resolved against the config's folder.
    tls: obj({
      port: int(d.DEFAULT_TLS_PORT, 0, PORT_MAX),
      certFile: str(''),
      keyFile: str(''),
      certificates: { kind: 'objects', fields: { hosts: { kind: 'strings', default: [] }, certFile: str(''), keyFile: str('') } },
      // ACME is on when directoryUrl is set; account key and certificates live under <state folder>/acme (docs/tls.md).
      acme: obj({
        directoryUrl: str('', { pattern: /^(https?:\/\/[^\s]+)?$/, hint: 'an ACME directory URL like https://acme-v02.api.letsencrypt.org/directory' }),
        email: str(''),
        domains: { kind: 'strings', default: [] },
        caBundle: str(''),
      }),
    }),
    redirectHttp: bool(false),
    // The Strict-Transport-Security value sent on HTTPS answers, e.g. "max-age=31536000"; empty: not sent.
    hsts: str('', { pattern: /^(max-age=\d+[^\r\n]*)?$/, hint: 'a Strict-Transport-Security value like max-age=31536000' }),
  }),
  admin: obj({
    host: str('127.0.0.1'),
    port: int(d.DEFAULT_ADMIN_PORT, 0, PORT_MAX),
    tokenFile: str('state/admin.token', { path: true }),
    // The admin API listens on HTTPS when certFile is set (docs/tls.md); the CLI then needs --cacert for a private CA.
    tls: obj({ certFile: str(''), keyFile: str('') }),
  }),
  stateFile: str('state/slotswap.json', { path: true }),
  releasesDir: str('state/releases', { path: true }),
  keepReleases: int(d.DEFAULT_KEEP_RELEASES, 1, 1000),
  // "": no bootstrap release; nothing is live until the first deploy.
  bootstrap: str('sites/sample-api', { path: true, optional: true }),
  slots: obj({
    a: obj({ dir: str('sites/a', { path: true }), port: int(d.DEFAULT_SLOT_A_PORT, 1, PORT_MAX) }),
    b: obj({ dir: str('sites/b', { path: true }), port: int(d.DEFAULT_SLOT_B_PORT, 1, PORT_MAX) }),
  }),
  instances: int(d.DEFAULT_INSTANCES, 1, 64),
  health: obj({
    path: str('/health', { pattern: /^\/\S*$/, hint: 'a path starting with /' }),
    intervalMs: int(d.DEFAULT_HEALTH_INTERVAL_MS, 10, 60_000),
    timeoutMs: int(d.DEFAULT_HEALTH_TIMEOUT_MS, 100, HOUR_MS),
  }),
  drain: obj({
    graceMs: int(d.DEFAULT_DRAIN_GRACE_MS, 0, 24 * HOUR_MS),
    idleMs: int(d.DEFAULT_DRAIN_IDLE_MS, 0, HOUR_MS),
    timeoutMs: int(d.DEFAULT_DRAIN_TIMEOUT_MS, 0, 24 * HOUR_MS),
    stopTimeoutMs: int(d.DEFAULT_DRAIN_STOP_TIMEOUT_MS, 0, HOUR_MS),
    websocketGraceMs: int(d.DEFAULT_DRAIN_WEBSOCKET_GRACE_MS, 0, 24 * HOUR_MS),
  }),
  hold: obj({
    timeoutMs: int(d.DEFAULT_HOLD_TIMEOUT_MS, 1, HOUR_MS),
    maxQueued: int(d.DEFAULT_HOLD_MAX_QUEUED, 0, 1_000_000),
  }),
  clients: obj({
    versionHeader: str('X-Client-Version', { pattern: /^[A-Za-z0-9-]{1,64}$/, hint: 'an HTTP header name' }),
    manifestPath: str('/AppRun.json', { pattern: /^\/\S*$/, hint: 'a path starting with /' }),
    upgradeStatus: int(d.DEFAULT_UPGRADE_STATUS, 400, 599),
    keepAppVersions: int(d.DEFAULT_KEEP_APP_VERSIONS, 1, 1000),
  }),
  hotswap: obj({
    exeFile: str('deploy/server', { path: true }),
    updateFile: str('deploy/server_update', { path: true }),
    args: { kind: 'strings', default: [] },
  }),
  uploads: obj({ maxBytes: int(d.DEFAULT_UPLOAD_MAX_BYTES, 1, 16 * 1024 * 1024 * 1024), idleTimeoutMs: int(d.DEFAULT_UPLOAD_IDLE_TIMEOUT_MS, 1, HOUR_MS) }),
};

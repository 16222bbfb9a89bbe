// The admin API's server: plain HTTP, or HTTPS when admin.tls.certFile is set (the CLI then trusts the CA with --cacert).
import http from 'node:http';
import https from 'node:https';
import type { Config } from '../config/config-types.js';
import { ADMIN_REQUEST_TIMEOUT_MS } from '../defaults.js';
import { loadCertificate } from './certificate-store.js';
import { adminTlsEnabled } from './tls-config.js';

export type AdminServer = http.Server | https.Server;

export async function createAdminServer(config: Config, handler: http.RequestListener): Promise<{ server: AdminServer; scheme: 'http' | 'https' }> {
  if (!adminTlsEnabled(config)) return { server: http.createServer({ requestTimeout: ADMIN_REQUEST_TIMEOUT_MS }, handler), scheme: 'http' };
  const cert = await loadCertificate([], config.admin.tls.certFile, config.admin.tls.keyFile);
  return { server: https.createServer({ ...cert.options, ALPNProtocols: ['http/1.1'], requestTimeout: ADMIN_REQUEST_TIMEOUT_MS }, handler), scheme: 'https' };
}

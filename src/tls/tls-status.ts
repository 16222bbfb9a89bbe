// The TLS part of GET /api/status and of `slotswap status`: served certificates, their expiry, reload and ACME errors.
import { tlsFrontOf, type TlsStatus } from './tls-front.js';

export function tlsStatusOf(owner: object): TlsStatus | null {
  return tlsFrontOf(owner)?.status() ?? null;
}

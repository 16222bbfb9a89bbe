// The TLS lines of `slotswap status` (CLI side: types only, so the CLI does not load acme-client).
import type { TlsStatus } from './tls-front.js';

const DAY_MS = 86_400_000;

export function formatTlsStatus(tls: TlsStatus | null | undefined, now = Date.now()): string[] {
  if (!tls) return [];
  const lines: string[] = [];
  if (!tls.ready) lines.push(`TLS: port ${tls.port} waits for its first ACME certificate; plain HTTP serves meanwhile`);
  for (const cert of tls.certificates) {
    const days = Math.floor((new Date(cert.validTo).getTime() - now) / DAY_MS);
    lines.push(`certificate ${cert.names.join(', ') || cert.file}: expires ${cert.validTo} (in ${days} days), serial ${cert.serialNumber}`);
  }
  if (tls.lastReloadError) lines.push(`certificate reload (${tls.lastReloadError.trigger}) failed at ${tls.lastReloadError.at}, old certificate kept: ${tls.lastReloadError.message}`);
  const acme = tls.acme;
  if (acme) {
    lines.push(`ACME ${acme.directoryUrl}: ${acme.state}${acme.lastIssuedAt ? `, last issued ${acme.lastIssuedAt}` : ''}${acme.nextCheckAt ? `, next check ${acme.nextCheckAt}` : ''}`);
    if (acme.lastError) lines.push(`ACME last error (${acme.lastErrorAt}): ${acme.lastError}`);
  }
  return lines;
}

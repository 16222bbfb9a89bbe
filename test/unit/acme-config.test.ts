import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.js';
import { formatTlsStatus } from '../../src/tls/tls-status-lines.js';

async function configFile(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-acme-config-'));
  await mkdir(path.join(dir, 'sites/sample-api'), { recursive: true });
  await writeFile(path.join(dir, 'sites/sample-api/release.json'), '{}');
  return path.join(dir, 'orchestrator.config.json');
}

const problemsOf = async (raw: unknown) => validateConfig(raw, await configFile()).then(() => 'accepted', (err: Error) => err.message);

describe('proxy.tls.acme and admin.tls in the config', () => {
  it('turns TLS on with ACME alone: https public URL on the TLS port, caBundle resolved against the config folder', async () => {
    const file = await configFile();
    const config = await validateConfig({ proxy: { tls: { port: 9443, acme: { directoryUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory', domains: ['app.example.com'], caBundle: 'ca.pem' } } } }, file);
    expect(config.proxy.publicUrl).toBe('https://localhost:9443');
    expect(config.proxy.tls.acme.caBundle).toBe(path.join(path.dirname(file), 'ca.pem'));
  });

  it('names each ACME problem with its key path', async () => {
    expect(await problemsOf({ proxy: { tls: { acme: { directoryUrl: 'https://ca.example/dir' } } } })).toContain('"proxy.tls.acme.domains": expected at least one domain name');
    expect(await problemsOf({ proxy: { tls: { acme: { directoryUrl: 'https://ca.example/dir', domains: ['*.example.com', '10.0.0.1x y'] } } } })).toContain('"proxy.tls.acme.domains[0]": expected a DNS name like app.example.com');
    expect(await problemsOf({ proxy: { tls: { certFile: 'a', keyFile: 'b', acme: { directoryUrl: 'https://ca.example/dir', domains: ['a.example.com'] } } } })).toContain('"proxy.tls.acme": expected either certFile/keyFile or acme, got both');
    expect(await problemsOf({ proxy: { tls: { acme: { domains: ['a.example.com'] } } } })).toContain('"proxy.tls.acme.domains": expected proxy.tls.acme.directoryUrl too');
    expect(await problemsOf({ proxy: { tls: { acme: { directoryUrl: 'ftp://x' } } } })).toContain('"proxy.tls.acme.directoryUrl"');
    expect(await problemsOf({ admin: { tls: { certFile: 'a.crt' } } })).toContain('"admin.tls": expected both certFile and keyFile');
  });

  it('lets redirectHttp go with ACME alone', async () => {
    expect(await problemsOf({ proxy: { redirectHttp: true, tls: { acme: { directoryUrl: 'https://ca.example/dir', domains: ['a.example.com'] } } } })).toBe('accepted');
  });
});

describe('the TLS lines of slotswap status', () => {
  it('shows each certificate with its expiry, the waiting state, and the last ACME error', () => {
    const lines = formatTlsStatus({
      port: 8443,
      ready: true,
      certificates: [{ file: '/s/acme/certificate.pem', hosts: [], names: ['app.example.com'], serialNumber: 'AB12', fingerprint256: 'F', validFrom: '2026-01-01T00:00:00.000Z', validTo: '2026-03-31T00:00:00.000Z' }],
      lastReloadError: null,
      acme: { directoryUrl: 'https://ca/dir', domains: ['app.example.com'], state: 'failed', lastError: 'connect ECONNREFUSED', lastErrorAt: '2026-03-01T00:00:00.000Z', lastIssuedAt: null, nextCheckAt: null },
    }, Date.parse('2026-03-01T00:00:00Z'));
    expect(lines).toEqual([
      'certificate app.example.com: expires 2026-03-31T00:00:00.000Z (in 30 days), serial AB12',
      'ACME https://ca/dir: failed',
      'ACME last error (2026-03-01T00:00:00.000Z): connect ECONNREFUSED',
    ]);
    expect(formatTlsStatus({ port: 8443, ready: false, certificates: [], lastReloadError: null, acme: null })[0]).toContain('waits for its first ACME certificate');
    expect(formatTlsStatus(null)).toEqual([]);
  });
});

// Certificate files watched: replaced by rename under load, new connections get the new certificate with 0 failed
// requests; a broken replacement keeps the old certificate and the error shows in status.
import { mkdtemp, copyFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, startDaemonIn } from '../helpers/test-daemon.js';
import { freePortRange } from '../helpers/ports.js';
import { eventually } from '../helpers/eventually.js';
import { httpsLoad, makeCa, makeSignedCertificate, servedCertificate } from '../helpers/tls-client.js';

interface TlsStatusView {
  lastReloadError: { trigger: string; message: string } | null;
}

describe('certificate files watched for change', () => {
  it('serves files replaced by rename to new connections without a reload command, and keeps the old certificate when the new file is broken', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-tls-watch-'));
    const ca = await makeCa(dir);
    const first = await makeSignedCertificate(dir, 'first', ca);
    const second = await makeSignedCertificate(dir, 'second', ca);
    const served = { certFile: path.join(dir, 'served.crt'), keyFile: path.join(dir, 'served.key') };
    await copyFile(first.certFile, served.certFile);
    await copyFile(first.keyFile, served.keyFile);
    const tlsPort = await freePortRange(1);
    const daemon = await startDaemonIn(await makeProject({ proxy: { tls: { port: tlsPort, ...served } } }));
    expect((await servedCertificate(tlsPort, [ca.pem], 'localhost')).fingerprint256).toBe(first.fingerprint);

    let stop = false;
    const load = httpsLoad(tlsPort, [ca.pem], 'localhost', 4, () => stop, 60_000, 2_000);
    try {
      await eventually(() => expect(load.answered()).toBeGreaterThan(20), 20_000);
      // The way certbot and atomic deploys replace files: a new inode renamed over the old name, key first.
      await copyFile(second.keyFile, `${served.keyFile}.new`);
      await copyFile(second.certFile, `${served.certFile}.new`);
      await rename(`${served.keyFile}.new`, served.keyFile);
      await rename(`${served.certFile}.new`, served.certFile);
      await eventually(async () => expect((await servedCertificate(tlsPort, [ca.pem], 'localhost')).fingerprint256).toBe(second.fingerprint), 15_000);
      const after = load.answered();
      await eventually(() => expect(load.answered()).toBeGreaterThan(after + 20), 20_000);
    } finally {
      stop = true;
    }
    expect(await load.done).toEqual([]);
    expect(daemon.output()).toContain('certificate files changed: reloaded 1 certificate(s)');

    await writeFile(served.certFile, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
    const status = await eventually(async () => {
      const tls = (await daemon.status()).tls as TlsStatusView;
      expect(tls.lastReloadError?.trigger).toBe('file change');
      return tls;
    }, 15_000);
    expect(status.lastReloadError?.message).toContain(`certificate file ${served.certFile}: expected a PEM certificate`);
    expect((await servedCertificate(tlsPort, [ca.pem], 'localhost')).fingerprint256).toBe(second.fingerprint);
    const text = await daemon.cli(['status']);
    expect(text.stdout).toContain('certificate reload (file change) failed');
    expect(text.stdout).toContain('old certificate kept');
  });
});

// admin.tls: the admin API on HTTPS; the CLI trusts a private CA with --cacert (or SLOTSWAP_CACERT), and without it
// says so by name with exit 3 (unreachable), per the CLI's error boundary.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, startDaemonIn } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';
import { runCli } from '../helpers/cli.js';
import { makeCa, makeSignedCertificate } from '../helpers/tls-client.js';

describe('the admin API over HTTPS', () => {
  it('answers `slotswap status --cacert ca.pem`, and without the CA the CLI names --cacert and exits 3', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-admin-tls-'));
    const ca = await makeCa(dir);
    const cert = await makeSignedCertificate(dir, 'admin', ca);
    const daemon = await startDaemonIn(await makeProject({ admin: { tls: { certFile: cert.certFile, keyFile: cert.keyFile } } }), { waitLive: false });
    const trusted = await eventually(async () => {
      const result = await daemon.cli(['status', '--cacert', ca.caFile]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('live: a');
      return result;
    }, 40_000);
    expect(trusted.stdout).toContain('public URL: http://localhost:');
    expect(daemon.output()).toMatch(/admin API on https:\/\/127\.0\.0\.1:\d+/);

    const untrusted = await daemon.cli(['status']);
    expect(untrusted.code).toBe(3);
    expect(untrusted.stderr).toContain('does not trust');
    expect(untrusted.stderr).toContain('--cacert <ca.pem>');
    console.log(`admin tls: without --cacert: ${untrusted.stderr.trim()}`);

    const viaEnv = await runCli(['status', '--config', daemon.configFile], { cwd: daemon.dir, env: { SLOTSWAP_CACERT: ca.caFile } });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);

    const missingFile = await daemon.cli(['status', '--cacert', path.join(dir, 'nope.pem')]);
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toContain(`--cacert ${path.join(dir, 'nope.pem')} cannot be read (ENOENT)`);
  });
});

// Silent traps of release.json removed: the default minCompatibleVersion is printed, a raised minimum is announced,
// a release named after another app is refused, and a tarball packed with its folder names the file it found.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon } from '../helpers/test-daemon.js';
import { writeTarball } from '../helpers/tarball.js';
import { request } from '../helpers/http-client.js';

const RELEASE_JSON = (name: string) => JSON.stringify({ name, version: '9.0.0', start: ['python3', 'server.py'] });

describe('what a deploy says about minCompatibleVersion', () => {
  it('prints the default it took, and says in one line which clients will get 426 once the minimum rises', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    // The bundled sample is live at 1.0.0 with minCompatibleVersion 1.0.0; this release leaves the key out.
    const release = await makeRelease(daemon.dir, 'no-min', { version: '2.1.0', minCompatibleVersion: undefined });

    const deploy = await daemon.cli(['deploy', release, '--wait-drain'], 60_000);
    expect(deploy.code, deploy.stderr + deploy.stdout).toBe(0);
    const check = deploy.stdout.split('\n').find((line) => /^\s+ok\s+check\b/.test(line)) ?? '';
    expect(check).toContain('minCompatibleVersion 2.0.0 (default: <major>.0.0 of 2.1.0)');
    expect(check).toContain('raised from 1.0.0: clients older than 2.0.0 will get 426 once slot a has drained');

    // The line tells the truth: with slot a drained, a 1.x client is answered with clients.upgradeStatus.
    const old = await request(`${daemon.proxyUrl}/`, { headers: { 'x-client-version': '1.9.0' } });
    expect(old.status).toBe(426);
  });

  it('names where an explicit minimum came from, and announces nothing when it stays', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const same = await makeRelease(daemon.dir, 'same-min', { version: '1.1.0', minCompatibleVersion: '1.0.0' });
    const first = await daemon.cli(['deploy', same, '--wait-drain'], 60_000);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(first.stdout).toContain('minCompatibleVersion 1.0.0 (from release.json)');
    expect(first.stdout).not.toContain('will get 426');

    const raised = await daemon.cli(['deploy', same, '--version', '1.2.0', '--min-compatible', '1.2.0'], 60_000);
    expect(raised.code, raised.stderr + raised.stdout).toBe(0);
    expect(raised.stdout).toContain('minCompatibleVersion 1.2.0 (from --min-compatible)');
    expect(raised.stdout).toContain('clients older than 1.2.0 will get 426');
  });
});

describe('a release that belongs to another app, or is packed the wrong way', () => {
  it('refuses a release named after another app with exit 2, naming both names and both fixes, and changes nothing', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const release = await makeRelease(daemon.dir, 'billing', { name: 'billing-api', version: '2.0.0' });

    const deploy = await daemon.cli(['deploy', release], 60_000);
    expect(deploy.code, deploy.stderr + deploy.stdout).toBe(2);
    expect(deploy.stderr).toContain('release.json names "billing-api" but the config\'s app is "sample-api"');
    expect(deploy.stderr).toContain('"app": "billing-api"');
    expect(deploy.stderr).toContain('"name": "sample-api"');

    const status = await daemon.status();
    expect(status.live).toBe('a');
    expect(status.slots.a.version).toBe('1.0.0');
    expect(status.slots.b.state).toBe('empty');
  });

  it('names the release.json found one folder down in a tarball packed with its folder, never the daemon\'s temp path', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const tgz = await writeTarball(path.join(daemon.dir, 'py-app.tgz'), [
      { name: 'py-app/', type: 'directory' },
      { name: 'py-app/release.json', content: RELEASE_JSON('sample-api') },
      { name: 'py-app/server.py', content: 'print("hi")\n' },
    ]);

    const deploy = await daemon.cli(['deploy', tgz], 60_000);
    expect(deploy.code, deploy.stderr + deploy.stdout).toBe(2);
    expect(deploy.stderr).toContain("no release.json at the archive's root");
    expect(deploy.stderr).toContain("found py-app/release.json: pack the folder's contents (tar czf release.tgz -C py-app .), or deploy the folder (slotswap deploy py-app)");
    expect(deploy.stderr).not.toContain('.incoming-');
    expect(deploy.stderr).not.toContain(daemon.dir);
  });

  it("says the archive's root, not a temp path, when a tarball has no release.json anywhere", { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const tgz = await writeTarball(path.join(daemon.dir, 'bare.tgz'), [{ name: 'server.py', content: 'print("hi")\n' }]);

    const deploy = await daemon.cli(['deploy', tgz], 60_000);
    expect(deploy.code, deploy.stderr + deploy.stdout).toBe(2);
    expect(deploy.stderr).toContain("the release has no release.json at the archive's root");
    expect(deploy.stderr).not.toContain('.incoming-');
    expect(deploy.stderr).not.toContain('found');
  });
});

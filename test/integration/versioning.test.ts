import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';

/** A daemon whose bootstrap release (slot a) has the given version. */
async function daemonAt(version: string, overrides: Record<string, unknown> = {}): Promise<TestDaemon> {
  const project = await makeProject(overrides);
  const manifestFile = path.join(project.dir, 'sites/sample-api/release.json');
  const release = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, unknown>;
  await writeFile(manifestFile, JSON.stringify({ ...release, version, minCompatibleVersion: `${version.split('.')[0]}.0.0` }));
  return startDaemonIn(project);
}

/** What must not change when a deploy is refused: slots, live slot, manifest, history (the audit log does record it). */
async function observable(daemon: TestDaemon) {
  const state = JSON.parse(await readFile(path.join(daemon.dir, 'state/slotswap.json'), 'utf8')) as Record<string, unknown>;
  const { audit: _audit, ...rest } = state;
  const manifest = await request(`${daemon.proxyUrl}/AppRun.json`);
  const live = await request(`${daemon.proxyUrl}/`);
  const file = await readFile(path.join(daemon.dir, 'state/AppRun.json'), 'utf8');
  return { rest, manifest: manifest.body, etag: manifest.headers.etag, file, live: JSON.parse(live.body).version as string, slot: live.headers['x-served-by-slot'] };
}

describe('the version gate', () => {
  it('refuses a lower version with exit 2 naming both, and deploys it with --allow-downgrade', { timeout: 60_000 }, async () => {
    const daemon = await daemonAt('1.3.0');
    const sample = `${daemon.dir}/sites/sample-api`;
    const before = await observable(daemon);
    const refused = await daemon.cli(['deploy', sample, '--version', '1.2.0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/version 1\.2\.0 is not greater than the live version 1\.3\.0/);
    expect(refused.stderr).toMatch(/--allow-downgrade/);
    expect(await observable(daemon)).toEqual(before);
    const allowed = await daemon.cli(['deploy', sample, '--version', '1.2.0', '--allow-downgrade']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse((await request(`${daemon.proxyUrl}/`)).body).version).toBe('1.2.0');
  });

  const invalid = [
    { args: ['--version', '1.x'], message: /version "1\.x" is not a valid semver version/ },
    { args: ['--version', ''], message: /version "" is not a valid semver version/ },
    { args: ['--version', 'v1'], message: /version "v1" is not a valid semver version/ },
    { args: ['--version', '1.5.0', '--min-compatible', '1.6.0'], message: /minCompatibleVersion 1\.6\.0 is above version 1\.5\.0/ },
    { args: ['--version', '1.5.0', '--min-compatible', 'latest'], message: /minCompatibleVersion "latest" is not a valid semver/ },
  ];
  it('refuses invalid versions with exit 2 and changes nothing (state, manifest, live slot)', { timeout: 60_000 }, async () => {
    const daemon = await daemonAt('1.3.0');
    const before = await observable(daemon);
    for (const c of invalid) {
      const result = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, ...c.args]);
      expect(result.code, c.args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(c.message);
      expect(await observable(daemon)).toEqual(before);
    }
    expect((await daemon.status()).slots.b.state).toBe('empty');
  });
});

describe('the manifest and the client version gate', () => {
  it('serves old clients from the draining slot, then the upgrade notice once it has drained', { timeout: 60_000 }, async () => {
    const daemon = await daemonAt('1.4.0', { drain: { graceMs: 2_500, idleMs: 100 } });
    await daemon.cli(['notice', 'set', 'Version 2.0.0 is out: please restart the app', '--mandatory']);
    const deployed = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '2.0.0', '--min-compatible', '2.0.0']);
    expect(deployed.code, deployed.stderr).toBe(0);

    const manifest = JSON.parse((await request(`${daemon.proxyUrl}/AppRun.json`)).body) as Record<string, unknown>;
    expect(manifest).toMatchObject({ version: '2.0.0', minCompatibleVersion: '2.0.0', slot: 'b' });
    expect(manifest.webApiUrl).toMatch(/\/_slots\/b\/$/);
    expect((manifest.deployment_urls as { web_api: string }).web_api).toBe(manifest.webApiUrl);
    expect(manifest.notice).toEqual({ message: 'Version 2.0.0 is out: please restart the app', mandatory: true });

    const old = await request(`${daemon.proxyUrl}/`, { headers: { 'x-client-version': '1.4.0' } });
    expect(old.status).toBe(200);
    expect(old.headers['x-served-by-slot']).toBe('a');
    expect(JSON.parse(old.body).version).toBe('1.4.0');
    expect(old.headers['x-app-version']).toBe('1.4.0');

    const current = await request(`${daemon.proxyUrl}/`, { headers: { 'x-client-version': '2.0.0' } });
    expect(current.headers['x-served-by-slot']).toBe('b');
    expect(current.headers['x-app-version']).toBe('2.0.0');
    expect(current.headers['x-app-min-compatible-version']).toBe('2.0.0');

    const banana = await request(`${daemon.proxyUrl}/`, { headers: { 'x-client-version': 'banana' } });
    expect(banana.status).toBe(400);
    expect(JSON.parse(banana.body).message).toMatch(/"banana" is not a valid semver version/);

    await eventually(async () => expect((await daemon.status()).slots.a.state).toBe('stopped'), 15_000);
    const refused = await request(`${daemon.proxyUrl}/`, { headers: { 'x-client-version': '1.4.0' } });
    expect(refused.status).toBe(426);
    expect(JSON.parse(refused.body)).toEqual({
      error: 'upgrade_required',
      message: expect.stringMatching(/1\.4\.0 is below the minimum compatible version 2\.0\.0/),
      clientVersion: '1.4.0',
      minCompatibleVersion: '2.0.0',
      latestVersion: '2.0.0',
      manifestUrl: `http://localhost:${new URL(daemon.proxyUrl).port}/AppRun.json`,
      notice: { message: 'Version 2.0.0 is out: please restart the app', mandatory: true },
    });
  });

  it('marks a compatible but older client with X-Upgrade-Available', { timeout: 60_000 }, async () => {
    const daemon = await daemonAt('1.0.0');
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.5.0'])).code).toBe(0);
    const older = await request(`${daemon.proxyUrl}/`, { headers: { 'x-client-version': '1.2.0' } });
    expect(older.status).toBe(200);
    expect(older.headers['x-upgrade-available']).toBe('1.5.0');
    const latest = await request(`${daemon.proxyUrl}/`, { headers: { 'x-client-version': '1.5.0' } });
    expect(latest.headers['x-upgrade-available']).toBeUndefined();
  });

  it('changes the ETag exactly when the manifest content changes, and answers 304 otherwise', { timeout: 60_000 }, async () => {
    const daemon = await daemonAt('1.0.0');
    const first = await request(`${daemon.proxyUrl}/AppRun.json`);
    expect(first.headers['cache-control']).toBe('no-cache');
    const etag = first.headers.etag!;
    expect((await request(`${daemon.proxyUrl}/AppRun.json`)).headers.etag).toBe(etag);
    const notModified = await request(`${daemon.proxyUrl}/AppRun.json`, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBe('');

    await daemon.cli(['notice', 'set', 'Maintenance tonight']);
    const withNotice = await request(`${daemon.proxyUrl}/AppRun.json`, { headers: { 'if-none-match': etag } });
    expect(withNotice.status).toBe(200);
    const etag2 = withNotice.headers.etag!;
    expect(etag2).not.toBe(etag);
    // Setting the same notice again changes nothing, so the ETag stays.
    const again = await daemon.cli(['notice', 'set', 'Maintenance tonight']);
    expect(again.stdout).toMatch(/notice unchanged/);
    expect((await request(`${daemon.proxyUrl}/AppRun.json`)).headers.etag).toBe(etag2);
    await daemon.cli(['notice', 'clear']);
    const cleared = await request(`${daemon.proxyUrl}/AppRun.json`);
    expect(cleared.headers.etag).not.toBe(etag2);
    expect(JSON.parse(cleared.body).notice).toBeNull();

    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0'])).code).toBe(0);
    const flipped = await request(`${daemon.proxyUrl}/AppRun.json`);
    expect(flipped.headers.etag).not.toBe(cleared.headers.etag);
    // The static copy for other hosts has the very bytes the proxy serves.
    expect(await readFile(path.join(daemon.dir, 'state/AppRun.json'), 'utf8')).toBe(flipped.body);
  });

  it('keeps a client on /_slots/a/ during the drain, then forwards it to the live slot', { timeout: 60_000 }, async () => {
    const daemon = await daemonAt('1.0.0', { drain: { graceMs: 2_000, idleMs: 100 } });
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0'])).code).toBe(0);
    const pinned = await request(`${daemon.proxyUrl}/_slots/a/headers?x=1`);
    expect(pinned.headers['x-served-by-slot']).toBe('a');
    const seen = JSON.parse(pinned.body) as { url: string; headers: Record<string, string>; version: string };
    expect(seen.version).toBe('1.0.0');
    expect(seen.url).toBe('/headers?x=1');
    expect(seen.headers['x-forwarded-prefix']).toBe('/_slots/a');
    await eventually(async () => expect((await daemon.status()).slots.a.state).toBe('stopped'), 15_000);
    const moved = await request(`${daemon.proxyUrl}/_slots/a/headers`, { headers: { 'x-client-version': '1.0.0' } });
    expect(moved.status).toBe(200);
    expect(moved.headers['x-served-by-slot']).toBe('b');
    expect(JSON.parse(moved.body).version).toBe('1.1.0');
  });

  it('never lets the manifest disagree with what / serves, for 50 clients through a flip', { timeout: 90_000 }, async () => {
    const daemon = await daemonAt('1.0.0');
    let stop = false;
    const outcomes: { client: number; kind: string; version: string; start: number }[] = [];
    const clients = Array.from({ length: 50 }, async (_, client) => {
      const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 5_000 && !stop; i++) {
        const kind = i % 2 === 0 ? 'manifest' : 'api';
        const start = Date.now();
        const answer = await request(`${daemon.proxyUrl}${kind === 'manifest' ? '/AppRun.json' : '/'}`, { agent });
        expect(answer.status).toBe(200);
        outcomes.push({ client, kind, version: JSON.parse(answer.body).version as string, start });
      }
      agent.destroy();
    });
    // Every client has been answered before the deploy and again after it (counted, not slept for).
    const clientsAnsweredSince = (at: number) => new Set(outcomes.filter((o) => o.start > at).map((o) => o.client)).size;
    await eventually(() => expect(clientsAnsweredSince(0)).toBe(50), 30_000);
    const deployStartedAt = Date.now();
    const deployed = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0']);
    const deployedAt = Date.now();
    await eventually(() => expect(clientsAnsweredSince(deployedAt)).toBe(50), 30_000);
    stop = true;
    await Promise.all(clients);
    expect(deployed.code).toBe(0);
    for (let client = 0; client < 50; client++) {
      // One request at a time per client: once either source says 1.1.0, neither may say 1.0.0 again.
      const seen = outcomes.filter((o) => o.client === client).sort((x, y) => x.start - y.start);
      const firstNew = seen.findIndex((o) => o.version === '1.1.0');
      expect(firstNew).toBeGreaterThan(0);
      expect(seen.slice(firstNew).filter((o) => o.version !== '1.1.0')).toEqual([]);
    }
    // The flip happened under this load: every client kept sending, on both paths, while the deploy ran.
    const duringDeploy = outcomes.filter((o) => o.start >= deployStartedAt && o.start < deployedAt);
    expect(new Set(duringDeploy.map((o) => o.client)).size).toBe(50);
    expect(new Set(duringDeploy.map((o) => o.kind))).toEqual(new Set(['manifest', 'api']));
  });
});

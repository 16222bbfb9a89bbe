import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { makeRelease, startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { buildExe, startHotswapDaemon } from '../helpers/hotswap-project.js';

const EXITS_AT_ONCE = "console.error('boom'); process.exit(3);";

async function servedVersion(daemon: TestDaemon): Promise<string> {
  return (JSON.parse((await request(`${daemon.proxyUrl}/`)).body) as { version: string }).version;
}

async function stateOf(daemon: TestDaemon): Promise<{ live: string; slots: Record<string, { state: string; release: { version: string } | null }>; liveReleases: { version: string }[] }> {
  return JSON.parse(await readFile(path.join(daemon.dir, 'state/slotswap.json'), 'utf8'));
}

describe('rollback returns to the release that was live before, never to one that failed', () => {
  it('after 1.0.0 -> 1.1.0 -> failed 1.2.0, rollback makes 1.0.0 live, and --to picks a kept archive', { timeout: 120_000 }, async () => {
    // A long grace keeps an old slot draining until the test says drain --now.
    const daemon = await startDaemon({ health: { intervalMs: 50, timeoutMs: 3_000 }, keepReleases: 2, drain: { graceMs: 60_000, timeoutMs: 120_000 } });
    const sample = `${daemon.dir}/sites/sample-api`;
    expect((await daemon.cli(['deploy', sample, '--version', '1.1.0'])).code).toBe(0);
    expect((await daemon.cli(['drain', '--now'])).code).toBe(0);
    const broken12 = await makeRelease(daemon.dir, 'broken-1.2.0', { version: '1.2.0', start: ['node', '-e', EXITS_AT_ONCE] });
    const broken13 = await makeRelease(daemon.dir, 'broken-1.3.0', { version: '1.3.0', start: ['node', '-e', EXITS_AT_ONCE] });
    expect((await daemon.cli(['deploy', broken12])).code).toBe(1);
    // A second failure must not evict the archive of 1.0.0 either (keepReleases is 2: 1.0.0 and 1.1.0).
    expect((await daemon.cli(['deploy', broken13])).code).toBe(1);
    const archives = await readdir(path.join(daemon.dir, 'state/releases'));
    expect(archives.filter((f) => f.includes('-1.0.0-'))).toHaveLength(1);

    const rollback = await daemon.cli(['rollback', '--json']);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(JSON.parse(rollback.stdout)).toMatchObject({ mode: 'redeploy', version: '1.0.0', fromVersion: '1.1.0' });
    expect(await servedVersion(daemon)).toBe('1.0.0');
    const state = await stateOf(daemon);
    expect(state.liveReleases.map((r) => r.version)).toEqual(['1.0.0', '1.1.0', '1.0.0']);

    // Rollbacks still go back and forth, and --to names a kept release explicitly.
    const status = await daemon.status();
    expect(status.slots[status.live === 'a' ? 'b' : 'a'].state).toBe('draining');
    expect(JSON.parse((await daemon.cli(['rollback', '--json'])).stdout)).toMatchObject({ mode: 'flip', version: '1.1.0' });
    expect(await servedVersion(daemon)).toBe('1.1.0');
    await daemon.cli(['drain', '--now']);
    const to = await daemon.cli(['rollback', '--to', '1.0.0', '--json']);
    expect(to.code, to.stderr).toBe(0);
    expect(JSON.parse(to.stdout)).toMatchObject({ version: '1.0.0' });
    expect(await servedVersion(daemon)).toBe('1.0.0');
  });

  it('refuses rollback --to a version with no kept archive with 404 naming the kept ones', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const answer = await daemon.api('POST', '/api/rollback', { to: '9.9.9' });
    expect(answer.status).toBe(404);
    expect(answer.json.message).toMatch(/no kept archive of version 9\.9\.9; kept: sample-api|kept: 1\.0\.0/);
    expect((await daemon.api('POST', '/api/rollback', { to: 'latest' })).status).toBe(400);
    expect(await servedVersion(daemon)).toBe('1.0.0');
  });

  it('a failed hotswap keeps the last good executable restorable: rollback after it returns to the one before', { timeout: 90_000 }, async () => {
    const daemon = await startHotswapDaemon({ health: { intervalMs: 20, timeoutMs: 2_000 } });
    const v2 = await buildExe(daemon.dir, 'v2', { version: '2.0.0' });
    const v3 = await buildExe(daemon.dir, 'v3', { version: '3.0.0', body: 'process.exit(3);' });
    const swapped = await daemon.cli(['hotswap', v2]);
    expect(swapped.code, swapped.stdout + swapped.stderr).toBe(0);
    expect(await servedVersion(daemon)).toBe('2.0.0');
    const failed = await daemon.cli(['hotswap', v3]);
    expect(failed.code).toBe(1);
    expect(await servedVersion(daemon)).toBe('2.0.0');
    const rollback = await daemon.cli(['rollback', '--json']);
    expect(rollback.code, `${rollback.stdout}${rollback.stderr}\n${daemon.output()}`).toBe(0);
    expect(JSON.parse(rollback.stdout)).toMatchObject({ mode: 'hotswap', version: '1.0.0' });
    expect(await servedVersion(daemon)).toBe('1.0.0');
  });
});

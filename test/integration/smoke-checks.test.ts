import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, makeProject, makeRelease, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { getJson } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { failures, startLoad, whenAnswered } from '../helpers/load.js';

/**
 * The smoke script a test release carries: it sends 20 public requests (no preview prefix) itself, then asks the new
 * instance, through SLOTSWAP_PREVIEW_URL, which test ids it has seen, writes that to `out` and exits with `exitCode`.
 */
const SMOKE_SCRIPT = `
import { writeFile } from 'node:fs/promises';
const [out, exitCode] = [process.argv[2], Number(process.argv[3])];
const preview = process.env.SLOTSWAP_PREVIEW_URL;
const publicUrl = preview.replace(/\\/_slots\\/[ab]\\/$/, '');
const publicVersions = [];
for (let i = 0; i < 20; i++) {
  const res = await fetch(publicUrl + '/', { headers: { 'x-test-id': 'public-from-smoke' } });
  publicVersions.push((await res.json()).version);
}
const root = await (await fetch(preview)).json();
const seen = await (await fetch(preview + 'seen', { headers: { 'x-test-id': 'smoke' } })).json();
await writeFile(out, JSON.stringify({ preview, cwd: process.cwd(), root, seen, publicVersions, slot: process.env.SLOTSWAP_SLOT }));
console.log('smoke saw version ' + root.version + ' at ' + preview);
console.error('smoke exits with ' + exitCode);
process.exit(exitCode);
`;

/** A daemon whose public URL names 127.0.0.1 (not localhost), so the smoke's requests stay on 127.0.0.1 too. */
async function startDaemon(): Promise<TestDaemon> {
  const project = await makeProject();
  const proxy = project.config.proxy as { port: number; publicUrl?: string };
  proxy.publicUrl = `http://127.0.0.1:${proxy.port}`;
  await writeFile(project.configFile, JSON.stringify(project.config, null, 2));
  return startDaemonIn(project);
}

interface SmokeRecord {
  preview: string;
  cwd: string;
  root: { version: string; slot: string };
  seen: { version: string; ids: string[] };
  publicVersions: string[];
  slot: string;
}

describe('deploy --smoke', () => {
  it('fails the deploy when the smoke command exits 1, before any public request reached the new slot: nothing flips, the slot stops', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const release = await makeRelease(daemon.dir, 'v2', { version: '2.0.0' }, { 'smoke.mjs': SMOKE_SCRIPT });
    const out = path.join(daemon.dir, 'smoke-failed.json');
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 5, stop: () => stop, maxMs: 60_000, headers: { 'x-test-id': 'public' } });
    await whenAnswered(load, 50);
    const deployed = await daemon.cli(['deploy', release, '--smoke', `node smoke.mjs ${out} 1`]);
    await whenAnswered(load, 50, Date.now());
    stop = true;
    const outcomes = await load.done;

    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(1);
    expect(deployed.stderr).toContain('smoke check failed: command "node smoke.mjs');
    expect(deployed.stderr).toContain('exited with code 1');
    expect(deployed.stderr).toMatch(/\[smoke\] smoke saw version 2\.0\.0/);
    expect(deployed.stderr).toMatch(/\[smoke\] smoke exits with 1/);
    expect(deployed.stdout).toMatch(/FAIL smoke/);

    // Counted at the new instance: its own /seen, asked through the preview address as the smoke's last request.
    const record = JSON.parse(await readFile(out, 'utf8')) as SmokeRecord;
    expect(record.seen.version).toBe('2.0.0');
    expect(record.seen.ids).toEqual(['smoke']);
    expect(record.publicVersions).toEqual(Array(20).fill('1.0.0'));
    expect(record.preview).toBe(`${daemon.proxyUrl}/_slots/b/`);

    const status = await daemon.status();
    expect(status.live).toBe('a');
    expect(status.slots.b.state).toBe('stopped');
    expect(status.slots.b.total).toBe(0);
    expect((await getJson<{ version: string }>(`${daemon.proxyUrl}/AppRun.json`)).version).toBe('1.0.0');
    expect(failures(outcomes)).toEqual([]);
    expect(new Set(outcomes.map((o) => o.version))).toEqual(new Set(['1.0.0']));
    const history = (await daemon.api('GET', '/api/history?limit=1')).json as { entries: { outcome: string; error: string; steps: { name: string; ok: boolean }[] }[] };
    expect(history.entries[0]!.outcome).toBe('failed');
    expect(history.entries[0]!.error).toMatch(/exited with code 1[\s\S]*\[smoke\] smoke exits with 1/);
    expect(history.entries[0]!.steps.filter((s) => !s.ok).map((s) => s.name)).toEqual(['smoke']);
  });

  it('flips once a passing smoke command saw SLOTSWAP_PREVIEW_URL answer from the new version, run in the release folder', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const release = await makeRelease(daemon.dir, 'v2', { version: '2.0.0' }, { 'smoke.mjs': SMOKE_SCRIPT });
    const out = path.join(daemon.dir, 'smoke-passed.json');
    const deployed = await daemon.cli(['deploy', release, '--smoke', `node smoke.mjs ${out} 0`]);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    expect(deployed.stdout).toMatch(/ok {3}smoke .*passed in/);

    const record = JSON.parse(await readFile(out, 'utf8')) as SmokeRecord;
    expect(record.root).toMatchObject({ version: '2.0.0', slot: 'b' });
    expect(record.slot).toBe('b');
    expect(record.publicVersions).toEqual(Array(20).fill('1.0.0'));
    expect(await readFile(path.join(record.cwd, 'smoke.mjs'), 'utf8')).toBe(SMOKE_SCRIPT);
    expect((await daemon.status()).live).toBe('b');
    expect((await getJson<{ version: string }>(`${daemon.proxyUrl}/`)).version).toBe('2.0.0');
    const history = (await daemon.api('GET', '/api/history?limit=1')).json as { entries: { steps: { name: string }[] }[] };
    expect(history.entries[0]!.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['health', 'smoke', 'persist', 'flip']));
    const names = history.entries[0]!.steps.map((s) => s.name);
    expect(names.indexOf('smoke')).toBe(names.indexOf('health') + 1);
    expect(names.indexOf('persist')).toBe(names.indexOf('smoke') + 1);
  });

  it('runs the README example as written: a check on a path the sample API lacks fails, the one on /health passes', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const fetchOk = (suffix: string) => `node -e "fetch(process.env.SLOTSWAP_PREVIEW_URL + '${suffix}').then((r) => process.exit(r.ok ? 0 : 1))"`;
    // The preview URL ends in "/": "//nope" reached the sample API as the host "nope" and answered 200 before.
    const missing = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0', '--smoke', fetchOk('/nope')]);
    expect(missing.code, missing.stderr).toBe(1);
    const health = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.2.0', '--smoke', fetchOk('health')]);
    expect(health.code, health.stderr).toBe(0);
    expect((await daemon.status()).live).toBe('b');
  });

  it('kills the smoke command with its whole process group when --smoke-timeout-ms runs out, and fails the deploy', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const release = await makeRelease(daemon.dir, 'v2', { version: '2.0.0' });
    const pids = path.join(daemon.dir, 'smoke.pids');
    const deployed = await daemon.cli(['deploy', release, '--smoke', `sleep 30 & echo $$ $! > ${pids}; echo waiting; wait`, '--smoke-timeout-ms', '1500']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(1);
    expect(deployed.stderr).toContain('did not finish within 1500 ms (--smoke-timeout-ms) and was killed with its process group');
    expect(deployed.stderr).toContain('[smoke] waiting');
    const [shell, sleeper] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number);
    await eventually(() => {
      expect(isAlive(shell!)).toBe(false);
      expect(isAlive(sleeper!)).toBe(false);
    });
    const status = await daemon.status();
    expect(status.live).toBe('a');
    expect(status.slots.b.state).toBe('stopped');
  });

  it('refuses --smoke-timeout-ms without --smoke, and --smoke with --in-place, before anything runs (exit 2)', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const release = await makeRelease(daemon.dir, 'v2', { version: '2.0.0' });
    const lone = await daemon.cli(['deploy', release, '--smoke-timeout-ms', '100']);
    expect(lone.code).toBe(2);
    expect(lone.stderr).toMatch(/without a smoke command/);
    const inPlace = await daemon.cli(['deploy', release, '--in-place', '--smoke', 'true']);
    expect(inPlace.code).toBe(2);
    expect(inPlace.stderr).toMatch(/drop --in-place or --smoke/);
    expect((await daemon.status()).slots.b.state).toBe('empty');
  });
});

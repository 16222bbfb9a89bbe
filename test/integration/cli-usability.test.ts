// What a new user meets at the command line: the version, the help, typo hints, timeouts that say what they are,
// a health wait that shows progress, a deploy that waits for a drain when asked, and a status that says when a slot stops.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { makeProject, makeRelease, startDaemon } from '../helpers/test-daemon.js';

const PACKAGE = path.resolve(import.meta.dirname, '../../package.json');
/** A release whose server starts listening only after this long: the health step has something to report. */
const SLOW_START_MS = 3_000;
const slowStart = ['node', '-e', `setTimeout(() => import('./server.mjs'), ${SLOW_START_MS})`];

describe('the command line itself', () => {
  it('prints the version from package.json for --version, exit 0', async () => {
    const { version } = JSON.parse(await readFile(PACKAGE, 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('prints the help for a bare call, listing the commands, exit 2', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/see slotswap --help; see slotswap --help/);
    expect(result.stderr).toMatch(/Commands:/);
    expect(result.stderr).toMatch(/slotswap deploy <release>/);
  });

  it('suggests the nearest command for a typo, exit 2', async () => {
    const result = await runCli(['deplyo']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Did you mean deploy\?/);
  });

  it('describes every flag of drain, history and logs in their help', async () => {
    const drain = await runCli(['drain', '--help']);
    expect(drain.stdout).toMatch(/--slot\s+\S.*draining/);
    expect(drain.stdout).toMatch(/--now\s+\S.*stop/);
    const history = await runCli(['history', '--help']);
    expect(history.stdout).toMatch(/--limit\s+\S.*entries/);
    const logs = await runCli(['logs', '--help']);
    expect(logs.stdout).toMatch(/--lines\s+\S.*lines/);
  });
});

describe('mistyped values', () => {
  it('refuses a --timeout that is no number of seconds, names what was typed, exit 2, and deploys nothing', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    for (const typed of ['x', '0', '-3']) {
      const result = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0', '--timeout', typed]);
      expect({ code: result.code, named: result.stderr.includes(`--timeout: expected a number of seconds above 0, got "${typed}"`) }, result.stderr).toEqual({ code: 2, named: true });
    }
    expect((await daemon.status()).slots.b.state).toBe('empty');
  });

  it('names the value typed for a number, not NaN: logs --lines, history --limit, canary set, maintenance --retry-after', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const calls = [
      ['logs', 'a', '--lines', 'abc'],
      ['history', '--limit', 'abc'],
      ['canary', 'set', 'fifty'],
      ['maintenance', 'on', '--retry-after', 'soon'],
    ];
    for (const args of calls) {
      const result = await daemon.cli(args);
      const typed = args.at(-1)!;
      expect({ args, code: result.code, named: result.stderr.includes(`"${typed}"`), nan: /NaN|"null"/.test(result.stderr) }, result.stderr).toEqual({ args, code: 2, named: true, nan: false });
    }
  });

  it('asks whether the daemon was started when a config has no token yet, exit 3', async () => {
    const project = await makeProject();
    const result = await runCli(['status', '--config', project.configFile]);
    expect({ code: result.code, hint: result.stderr.includes('the daemon writes it at its first start: is "slotswap start" running with this config?') }, result.stderr).toEqual({ code: 3, hint: true });
  });

  it('says how to pass the right token when the daemon refuses it, exit 3', async () => {
    const daemon = await startDaemon();
    const result = await runCli(['status', '--admin-url', daemon.adminUrl, '--token', 'wrong']);
    expect({ code: result.code, said: result.stderr.includes('the daemon refused the admin token: pass the one in its state/admin.token') }, result.stderr).toEqual({ code: 3, said: true });
  });

  it('refuses an --admin-url without http://, naming it, exit 2', async () => {
    for (const url of ['localhost:8081', 'ftp://127.0.0.1:8081']) {
      const result = await runCli(['status', '--admin-url', url, '--token', 't']);
      expect({ code: result.code, named: result.stderr.includes(`admin URL "${url}" is not an http:// or https:// URL`) }, result.stderr).toEqual({ code: 2, named: true });
    }
  });
});

describe('deploy messages that tell the truth', () => {
  it('says so when resume finds no hold on, instead of "resumed after 0 ms"', async () => {
    const daemon = await startDaemon();
    const result = await daemon.cli(['resume']);
    expect({ code: result.code, out: result.stdout.trim() }).toEqual({ code: 0, out: 'no operator hold was on (slotswap hold); nothing to resume' });
  });

  it('says a watched deploy keeps the old slot running for the watch, not that it drains', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const result = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0', '--watch', '20000', '--max-error-rate', '5']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/deployed 1\.1\.0 to slot b, now live; slot a keeps running 20 s more, flipped back to at once if the analysis trips/);
    expect(result.stdout).not.toMatch(/is draining/);
  });

  it('says a --timeout stopped the waiting, not the deploy, exits 5, and the deploy then succeeds', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const release = await makeRelease(daemon.dir, 'slow', { version: '1.1.0', start: slowStart });
    const result = await daemon.cli(['deploy', release, '--timeout', '1']);
    expect(result.stderr).toMatch(/stopped waiting after 1 s; the deploy goes on in the daemon: slotswap status \/ slotswap history/);
    expect(result.stderr).not.toMatch(/failed/);
    expect(result.code).toBe(5);
    await eventually(async () => expect((await daemon.status()).slots.b).toMatchObject({ version: '1.1.0', state: 'live' }), 20_000);
  });

  it('prints the health wait as it goes: attempts so far and the last answer, about every second', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const release = await makeRelease(daemon.dir, 'slow', { version: '1.1.0', start: slowStart });
    const result = await daemon.cli(['deploy', release]);
    expect(result.code, result.stderr).toBe(0);
    const progress = result.stdout.split('\n').filter((l) => /^ {2}\.\.\. +health /.test(l));
    expect(progress.length, result.stdout).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(/b-1: \d+ attempts?, last: .*ECONNREFUSED/);
    expect(result.stdout).toMatch(/ok +health/);
  });

  it('with --wait-drain, waits for the idle slot to finish draining, then deploys', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon({ drain: { graceMs: 4_000, idleMs: 100 } });
    const first = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0']);
    expect(first.code, first.stderr).toBe(0);
    expect((await daemon.status()).slots.a.state).toBe('draining');
    const second = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.2.0', '--wait-drain']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^waiting for slot a to finish draining/m);
    expect(second.stdout).toMatch(/deployed 1\.2\.0 to slot a, now live; slot b drained and stopped/);
  });
});

describe('status of a draining slot', () => {
  it('shows when the slot stops if it stays idle, and the hard deadline, both labelled', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon({ drain: { graceMs: 30_000, idleMs: 2_000, timeoutMs: 300_000 } });
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0'])).code).toBe(0);
    const text = await daemon.cli(['status']);
    expect(text.stdout).toMatch(/stops when idle 2(\.00)? s after the grace ends \(in ≥ \d+ s\); at the latest in \d+ s/);
    const json = JSON.parse((await daemon.cli(['status', '--json'])).stdout) as { slots: { a: { drain: Record<string, number> } } };
    expect(json.slots.a.drain).toMatchObject({ idleNeededMs: 2_000 });
    expect(json.slots.a.drain.earliestStopInMs).toBeGreaterThan(20_000);
    expect(json.slots.a.drain.timeLeftMs).toBeGreaterThan(json.slots.a.drain.earliestStopInMs!);
  });
});

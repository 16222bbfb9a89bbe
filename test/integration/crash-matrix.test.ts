// Kills the daemon with SIGKILL at every step boundary of deploy, deploy --in-place, rollback-by-redeploy and
// hotswap update (SLOTSWAP_TEST_CRASH_AT), starts it again, and checks that it serves the last healthy release by
// itself, with a valid state file that agrees with status, and no leftover folder or process.
import { afterAll, describe, expect, it, type onTestFinished } from 'vitest';
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { makeProject, makeRelease, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { buildExe } from '../helpers/hotswap-project.js';
import { cp, mkdir } from 'node:fs/promises';
import { HOTSWAP_SERVER } from '../helpers/hotswap-project.js';

type Project = Awaited<ReturnType<typeof makeProject>>;
const matrix: string[] = [];

afterAll(() => {
  console.log(`crash matrix (operation, crash point -> version served after restart):\n${matrix.join('\n')}`);
});

/** Processes whose working folder is inside the project, the daemon excepted: they must be exactly the instances. */
async function processesIn(dir: string, daemonPid: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === daemonPid) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => null);
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (cwd && cwd.startsWith(dir) && !/^\d+ \(.*\) Z/.test(stat)) found.push(pid);
  }
  return found.sort((x, y) => x - y);
}

async function leftovers(dir: string): Promise<string[]> {
  const sites = await readdir(path.join(dir, 'sites')).catch(() => [] as string[]);
  const uploads = await readdir(path.join(dir, 'state/uploads')).catch(() => [] as string[]);
  const deploy = await readdir(path.join(dir, 'deploy')).catch(() => [] as string[]);
  return [
    ...sites.filter((f) => f.includes('.incoming-') || f.includes('.retired-') || f.endsWith('.previous')).map((f) => `sites/${f}`),
    ...uploads.map((f) => `state/uploads/${f}`),
    ...deploy.filter((f) => f.endsWith('.live')).map((f) => `deploy/${f}`),
  ];
}

/** What a user checks after the restart: the version served, status against the file, nothing left over. */
async function expectRecovered(daemon: TestDaemon, version: string): Promise<void> {
  const served = JSON.parse((await request(`${daemon.proxyUrl}/`)).body) as { version: string };
  expect(served.version).toBe(version);
  const state = JSON.parse(await readFile(path.join(daemon.dir, 'state/slotswap.json'), 'utf8')) as {
    live: 'a' | 'b';
    pending: unknown;
    slots: Record<'a' | 'b', { state: string; release: { version: string } | null }>;
    history: { outcome: string }[];
  };
  const status = await daemon.status();
  expect(status.live).toBe(state.live);
  for (const slot of ['a', 'b'] as const) {
    expect(status.slots[slot].state).toBe(state.slots[slot].state);
    expect(status.slots[slot].version).toBe(state.slots[slot].release?.version ?? null);
  }
  expect(state.pending).toBeNull();
  expect(state.history.filter((h) => h.outcome === 'running')).toEqual([]);
  expect(await leftovers(daemon.dir)).toEqual([]);
  const instancePids = Object.values(status.slots).flatMap((s) => s.instances.map((i) => i.pid)).sort((x, y) => (x ?? 0) - (y ?? 0));
  expect(await processesIn(daemon.dir, daemon.process.pid!)).toEqual(instancePids);
}

interface Case {
  point: string;
  /** Whether the new release is recorded (and so served) once the daemon is back. */
  servesNew: boolean;
}

/**
 * One daemon per case, armed at the case's crash point: it first checks the recovery from the previous case, then
 * runs the operation and dies. `operate` returns the version that was live before and the one it tried to make live.
 */
async function runMatrix(
  finished: typeof onTestFinished,
  op: string,
  project: Project,
  cases: Case[],
  operate: (daemon: TestDaemon, n: number) => Promise<{ before: string; after: string }>,
): Promise<void> {
  // The first start deploys the bootstrap release (itself a deploy): unarmed.
  const first = await startDaemonIn(project, { onTestFinished: finished });
  let expected: string | null = await liveVersion(first);
  await first.stop();
  for (const [n, c] of cases.entries()) {
    const daemon = await startDaemonIn(project, { env: { SLOTSWAP_TEST_CRASH_AT: `${op}:${c.point}` }, onTestFinished: finished });
    await expectRecovered(daemon, expected);
    const { before, after } = await operate(daemon, n);
    const code = await daemon.exited;
    expect(code, `the daemon should have died at ${op}:${c.point}\n${daemon.output()}`).toBeNull();
    expected = c.servesNew ? after : before;
    matrix.push(`${op.padEnd(16)} ${c.point.padEnd(28)} -> ${expected} (${c.servesNew ? 'new' : 'old'} release)`);
  }
  const last = await startDaemonIn(project, { onTestFinished: finished });
  await expectRecovered(last, expected);
  await last.stop();
}

const DEPLOY_CASES: Case[] = [
  { point: 'before:place', servesNew: false },
  { point: 'before:start', servesNew: false },
  { point: 'before:health', servesNew: false },
  { point: 'before:persist', servesNew: false },
  { point: 'before:flip', servesNew: true },
  { point: 'before:drain', servesNew: true },
  { point: 'before:stop', servesNew: true },
];

const IN_PLACE_CASES: Case[] = [
  { point: 'before:hold', servesNew: false },
  { point: 'before:finish', servesNew: false },
  { point: 'before:stop', servesNew: false },
  { point: 'before:swap', servesNew: false },
  { point: 'swap:between-renames', servesNew: false },
  { point: 'before:start', servesNew: false },
  { point: 'before:health', servesNew: false },
  { point: 'before:commit', servesNew: false },
  { point: 'before:release', servesNew: true },
];

async function liveVersion(daemon: TestDaemon): Promise<string> {
  const status = await daemon.status();
  return status.slots[status.live!].version!;
}

// The four operations run side by side: each has its own project, ports and processes.
describe.concurrent('a daemon killed at any step of an operation serves the last healthy release after a restart, by itself', () => {
  it('deploy', { timeout: 180_000 }, async ({ onTestFinished }) => {
    const project = await makeProject();
    await runMatrix(onTestFinished, 'deploy', project, DEPLOY_CASES, async (daemon, n) => {
      const before = await liveVersion(daemon);
      const after = `1.${n + 1}.0`;
      await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', after]);
      return { before, after };
    });
  });

  it('deploy --in-place', { timeout: 180_000 }, async ({ onTestFinished }) => {
    const project = await makeProject();
    await runMatrix(onTestFinished, 'deploy-in-place', project, IN_PLACE_CASES, async (daemon, n) => {
      const before = await liveVersion(daemon);
      const after = `2.${n}.0`;
      const release = await makeRelease(daemon.dir, `in-place-${n}`, { version: after });
      await daemon.cli(['deploy', release, '--in-place']);
      return { before, after };
    });
  });

  it('rollback by redeploy', { timeout: 180_000 }, async ({ onTestFinished }) => {
    const project = await makeProject();
    await runMatrix(onTestFinished, 'rollback', project, DEPLOY_CASES, async (daemon, n) => {
      const previous = await liveVersion(daemon);
      const next = `3.${n}.0`;
      expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', next, '--wait-drain'])).code).toBe(0);
      await daemon.cli(['rollback']);
      return { before: next, after: previous };
    });
  });

  it('hotswap update', { timeout: 180_000 }, async ({ onTestFinished }) => {
    const project = await makeProject({ app: 'hotswap-server', mode: 'hotswap', instances: 2, hotswap: { exeFile: 'deploy/server', updateFile: 'deploy/server_update' } });
    await mkdir(path.join(project.dir, 'deploy'), { recursive: true });
    await cp(HOTSWAP_SERVER, path.join(project.dir, 'deploy/server'));
    await runMatrix(onTestFinished, 'hotswap', project, IN_PLACE_CASES, async (daemon, n) => {
      const before = await liveVersion(daemon);
      const after = `4.${n}.0`;
      const exe = await buildExe(daemon.dir, `v${n}`, { version: after });
      await daemon.cli(['hotswap', exe]);
      return { before, after };
    });
  });
});

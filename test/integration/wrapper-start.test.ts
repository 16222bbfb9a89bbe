// Start commands that wrap the server (npm start, sh -c without exec, a command that daemonizes): the whole process group is the instance.
import net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isAlive, makeRelease, startDaemon, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';

type Slot = 'a' | 'b';

/** Live (not zombie) processes whose process group is pgid, read from /proc/<pid>/stat field 5. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && isAlive(Number(name))) members.push(Number(name));
    } catch {
      // ended while we looked
    }
  }
  return members;
}

/** Live processes started for a slot's port, found by the environment the daemon gave them (wherever their group is). */
function processesOnSlotPort(port: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (env.includes(`PORT=${port}`) && env.some((v) => v.startsWith('SLOTSWAP_SLOT=')) && isAlive(Number(name))) found.push(Number(name));
    } catch {
      // ended, or not ours to read
    }
  }
  return found;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function slotPort(daemon: TestDaemon, slot: Slot): number {
  return (daemon.project.config.slots as Record<Slot, { port: number }>)[slot].port;
}

/** The running instance's group: its leader (the pid status shows) and every member; a wrapper has at least two. */
async function runningGroup(daemon: TestDaemon, slot: Slot): Promise<number[]> {
  const leader = (await daemon.status()).slots[slot].instances[0]!.pid!;
  expect(leader).toBeGreaterThan(0);
  const members = groupMembers(leader);
  expect(members, `members of group ${leader}`).toContain(leader);
  expect(members.length, `group ${leader} holds the wrapper and the server`).toBeGreaterThanOrEqual(2);
  return members;
}

async function expectStopped(daemon: TestDaemon, slot: Slot, group: number[]): Promise<void> {
  expect(group.filter(isAlive), `processes of slot ${slot}'s old group still alive`).toEqual([]);
  expect(processesOnSlotPort(slotPort(daemon, slot)), `processes started for slot ${slot}'s port`).toEqual([]);
  expect(await portFree(slotPort(daemon, slot)), `slot ${slot}'s port is free`).toBe(true);
}

async function servedVersion(daemon: TestDaemon): Promise<string> {
  const answer = await request(`${daemon.proxyUrl}/`);
  expect(answer.status).toBe(200);
  return (JSON.parse(answer.body) as { version: string }).version;
}

const npmRelease = (daemon: TestDaemon, version: string) =>
  makeRelease(daemon.dir, `npm-${version}`, { version, start: ['npm', 'start'], env: { npm_config_update_notifier: 'false' } }, {
    'package.json': JSON.stringify({ name: 'sample-api', version, private: true, scripts: { start: 'node server.mjs' } }),
  });
const shRelease = (daemon: TestDaemon, version: string) => makeRelease(daemon.dir, `sh-${version}`, { version, start: ['sh', '-c', 'node server.mjs; echo x'] });

const bashRelease = (daemon: TestDaemon, version: string) =>
  makeRelease(daemon.dir, `bash-${version}`, { version, start: ['bash', 'start.sh'] }, { 'start.sh': 'node server.mjs\necho "server exited"\n' });

const wrappers = [
  { name: 'npm start', release: npmRelease },
  { name: 'sh -c "node server.mjs; echo x"', release: shRelease },
  { name: 'bash start.sh (node without exec)', release: bashRelease },
];

describe('a start command that wraps the server', () => {
  for (const wrapper of wrappers) {
    it(`${wrapper.name}: deploys, stops its whole group with the slot, deploys onto the freed slot again, and survives a daemon restart`, { timeout: 120_000 }, async () => {
      const daemon = await startDaemon();
      const first = await daemon.cli(['deploy', await wrapper.release(daemon, '1.1.0'), '--wait-drain']);
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect((await daemon.status()).live).toBe('b');
      expect(await servedVersion(daemon)).toBe('1.1.0');
      const groupB = await runningGroup(daemon, 'b');

      const second = await daemon.cli(['deploy', await wrapper.release(daemon, '1.2.0'), '--wait-drain']);
      expect(second.code, second.stdout + second.stderr).toBe(0);
      await eventually(async () => expect((await daemon.status()).slots.b.state).toBe('stopped'), 20_000);
      await expectStopped(daemon, 'b', groupB);
      const groupA = await runningGroup(daemon, 'a');

      const third = await daemon.cli(['deploy', await wrapper.release(daemon, '1.3.0'), '--wait-drain']);
      expect(third.code, third.stdout + third.stderr).toBe(0);
      expect((await daemon.status()).live).toBe('b');
      await expectStopped(daemon, 'a', groupA);
      const groupLive = await runningGroup(daemon, 'b');

      expect(await daemon.stop()).toBe(0);
      await expectStopped(daemon, 'b', groupLive);
      const again = await startDaemonIn(daemon.project);
      expect((await again.status()).live).toBe('b');
      expect(await servedVersion(again)).toBe('1.3.0');
    });
  }

  it('npm start: after kill -9 of the daemon, the next daemon adopts the old group and serves the release', { timeout: 90_000 }, async () => {
    const first = await startDaemon();
    const deployed = await first.cli(['deploy', await npmRelease(first, '1.1.0'), '--wait-drain']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    const group = await runningGroup(first, 'b');
    // Only the daemon dies: the whole group is left behind holding the port, as after a real crash.
    first.process.kill('SIGKILL');
    await first.exited;
    expect(group.every(isAlive)).toBe(true);

    const second = await startDaemonIn(first.project);
    // Issue 15: the live group is adopted whole (npm leads it), not reaped and started again.
    expect(group.filter(isAlive), 'processes of the old group still alive').toEqual(group);
    expect(second.output()).toMatch(/slot b: adopted .* still running as pid/);
    expect((await second.status()).live).toBe('b');
    expect(await servedVersion(second)).toBe('1.1.0');
  });
});

describe('an instance whose wrapper dies', () => {
  it('sh -c: the server the killed wrapper left in its group is stopped and the instance restarts on its port', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const deployed = await daemon.cli(['deploy', await shRelease(daemon, '1.1.0'), '--wait-drain']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    const group = await runningGroup(daemon, 'b');
    // The wrapper (the group's leader, the pid status shows) dies; the server it started goes on holding the port.
    process.kill((await daemon.status()).slots.b.instances[0]!.pid!, 'SIGKILL');
    await eventually(async () => {
      const b = (await daemon.status()).slots.b as unknown as { restarts: number; healthy: number };
      expect(b.restarts).toBe(1);
      expect(b.healthy).toBe(1);
    }, 20_000);
    expect(group.filter(isAlive), 'processes of the killed wrapper\'s group still alive').toEqual([]);
    expect(await servedVersion(daemon)).toBe('1.1.0');
    const fresh = await runningGroup(daemon, 'b');
    expect(fresh.some((pid) => group.includes(pid))).toBe(false);
  });
});

describe('a health answer from outside the instance\'s process group', () => {
  it('fails the deploy as another process holding the port', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    // Answers health with its parent's pid (the daemon's), which is not in the instance's group.
    const impostor = await makeRelease(daemon.dir, 'impostor', {
      version: '1.1.0',
      start: ['node', '--input-type=module', '-e', "import http from 'node:http'; http.createServer((q, s) => s.end(JSON.stringify({ status: 'ok', pid: process.ppid }))).listen(Number(process.env.PORT), '127.0.0.1');"],
    });
    const failed = await daemon.cli(['deploy', impostor]);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout + failed.stderr).toMatch(/answered for pid \d+.*: another process holds the port/);
    expect(await servedVersion(daemon)).toBe('1.0.0');
    expect(await portFree(slotPort(daemon, 'b'))).toBe(true);
  });
});

describe('a server that leaves the instance\'s process group', () => {
  it('fails the deploy, and the stop names the port still held after the group exited', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const port = slotPort(daemon, 'b');
    // setsid puts the server in a session of its own, out of reach of a signal to the instance's group.
    const escaping = await makeRelease(daemon.dir, 'escaping', { version: '1.1.0', start: ['sh', '-c', 'setsid node server.mjs & exec sleep 600'] });
    onTestFinished(() => {
      for (const pid of processesOnSlotPort(port)) process.kill(pid, 'SIGKILL');
    });
    const failed = await daemon.cli(['deploy', escaping]);
    expect(failed.code).not.toBe(0);
    const output = failed.stdout + failed.stderr;
    expect(output).toMatch(/another process holds the port/);
    expect(output).toMatch(new RegExp(`port\\(s\\) ${port} are still in use \\d+ ms after its process groups exited`));
    expect(output).toContain(`ss -ltnp 'sport = :${port}'`);
    expect(await servedVersion(daemon)).toBe('1.0.0');
  });
});

describe('a start command that puts the server in the background and exits', () => {
  it('fails its deploy saying so, leaves no process and a free port, and the slot takes a foreground release next', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const forking = await makeRelease(daemon.dir, 'forking', { version: '1.1.0', start: ['sh', '-c', 'node server.mjs &'] });
    const failed = await daemon.cli(['deploy', forking]);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout + failed.stderr).toMatch(/left .* running in its process group/);
    expect(failed.stdout + failed.stderr).toMatch(/in the foreground/);
    const log = await readFile(path.join(daemon.dir, 'state/logs/b-1.log'), 'utf8');
    const leader = Number(/started pid (\d+)/.exec(log)?.[1]);
    expect(leader).toBeGreaterThan(0);
    // The failed deploy answers only once the slot is stopped: nothing of the group may be left by then.
    expect(groupMembers(leader)).toEqual([]);
    expect(processesOnSlotPort(slotPort(daemon, 'b'))).toEqual([]);
    expect(await portFree(slotPort(daemon, 'b'))).toBe(true);
    expect((await daemon.status()).live).toBe('a');
    expect(await servedVersion(daemon)).toBe('1.0.0');

    const fixed = await daemon.cli(['deploy', await shRelease(daemon, '1.2.0'), '--wait-drain']);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(await servedVersion(daemon)).toBe('1.2.0');
  });
});

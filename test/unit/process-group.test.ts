import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { groupMembers, groupOf, parseStat, signalGroup, stopGroup } from '../../src/slots/process-group.js';
import { eventually } from '../helpers/eventually.js';
import { isAlive } from '../helpers/test-daemon.js';

/** A shell in a process group of its own running `script`; its group is SIGKILLed when the test ends. */
function startGroup(script: string): number {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  const pgid = child.pid!;
  child.on('error', () => {});
  onTestFinished(() => void signalGroup(pgid, 'SIGKILL'));
  return pgid;
}

describe('reading /proc/<pid>/stat', () => {
  it('finds state, parent and group after a command name that holds spaces and parentheses', () => {
    expect(parseStat('4242 (my (odd) name) S 1 4200 4200 0 -1 4194560 120 0')).toEqual({ state: 'S', ppid: 1, pgrp: 4200 });
  });

  it('gives nothing for text that is not a stat line', () => {
    expect(parseStat('')).toBeNull();
    expect(parseStat('4242 (x) S one two')).toBeNull();
  });
});

describe('a process group', () => {
  it('holds a wrapper and the child it started, and the child reports the wrapper as its group', async () => {
    const pgid = startGroup('sleep 30; echo done');
    const members = await eventually(async () => {
      const found = await groupMembers(pgid);
      expect(found.length).toBe(2);
      return found;
    });
    expect(members).toContain(pgid);
    const child = members.find((pid) => pid !== pgid)!;
    expect(await groupOf(child)).toBe(pgid);
    expect(await groupOf(process.pid)).not.toBe(pgid);
  });

  it('is stopped whole by SIGTERM: the wrapper and its child are gone when stopGroup resolves', async () => {
    const pgid = startGroup('sleep 30; echo done');
    const members = await eventually(async () => {
      const found = await groupMembers(pgid);
      expect(found.length).toBe(2);
      return found;
    });
    let killed = false;
    await stopGroup(pgid, 5_000, () => (killed = true));
    expect(members.filter(isAlive)).toEqual([]);
    expect(await groupMembers(pgid)).toEqual([]);
    expect(killed).toBe(false);
  });

  it('gets SIGKILL after stopTimeoutMs when a member ignores SIGTERM', async () => {
    const pgid = startGroup("trap '' TERM; sleep 30 & wait; sleep 30");
    await eventually(async () => expect((await groupMembers(pgid)).length).toBe(2));
    const started = Date.now();
    let killed = false;
    await stopGroup(pgid, 300, () => (killed = true));
    expect(killed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(await groupMembers(pgid)).toEqual([]);
  });

  it('never signals group 0 or 1 (our own group, or every process)', () => {
    expect(signalGroup(0, 0)).toBe(false);
    expect(signalGroup(1, 0)).toBe(false);
  });

  it('whose processes have all exited counts as gone, even while they wait as zombies for a PID 1 that does not reap', async () => {
    const pgid = startGroup('sleep 0.3 & exit 0');
    await eventually(async () => expect(await groupMembers(pgid)).toEqual([]));
  });

  it('of a process that is gone is unknown', async () => {
    const pgid = startGroup('exit 0');
    await eventually(async () => expect(await groupOf(pgid)).toBeNull());
  });
});

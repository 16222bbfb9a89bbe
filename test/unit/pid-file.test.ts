import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PidFile, type PidRecord } from '../../src/slots/pid-file.js';
import { groupMembers, signalGroup } from '../../src/slots/process-group.js';
import { eventually } from '../helpers/eventually.js';
import { isAlive } from '../helpers/test-daemon.js';

/** A wrapper shell leading its own group, with the environment an instance gets (or not); SIGKILLed when the test ends. */
async function startWrapper(script: string, env: Record<string, string>, members: number): Promise<{ pgid: number; pids: number[] }> {
  // A script that backgrounds its child and exits has one member twice: the shell before it forks, the child after.
  const leaderExits = script.endsWith('exit 0');
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, ...env } });
  const pgid = child.pid!;
  child.on('error', () => {});
  onTestFinished(() => void signalGroup(pgid, 'SIGKILL'));
  const pids = await eventually(async () => {
    const found = await groupMembers(pgid);
    expect(found.length).toBe(members);
    if (leaderExits) expect(found).not.toContain(pgid);
    return found;
  });
  return { pgid, pids };
}

async function pidFile(records: PidRecord[]): Promise<PidFile> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-pids-'));
  const file = new PidFile(path.join(dir, 'instances.json'));
  await file.record(records);
  return file;
}

const ours = { PORT: '45123', SLOTSWAP_SLOT: 'b' };

describe('reaping what a killed daemon left running', () => {
  it('stops the whole group of a wrapper whose leader passes the identity checks, child included', async () => {
    const { pgid, pids } = await startWrapper('sleep 30; echo done', ours, 2);
    const file = await pidFile([{ pid: pgid, pgid, label: 'b-1', port: 45123, slot: 'b', file: 'sh' }]);
    const reaped = await file.reapOrphans();
    expect(pids.filter(isAlive), 'processes of the group still alive').toEqual([]);
    expect(reaped).toEqual([expect.stringMatching(new RegExp(`^b-1 \\(process group ${pgid}: 2 process\\(es\\)`))]);
    expect(JSON.parse(await readFile(file.file, 'utf8'))).toEqual([]);
  });

  it('stops what is left of a group whose leader already exited, recognised by a member\'s environment', async () => {
    const { pgid, pids } = await startWrapper('sleep 30 & exit 0', ours, 1);
    expect(pids).not.toContain(pgid);
    const reaped = await (await pidFile([{ pid: pgid, pgid, label: 'b-1', port: 45123, slot: 'b', file: 'sh' }])).reapOrphans();
    expect(pids.filter(isAlive), 'processes of the group still alive').toEqual([]);
    expect(reaped).toHaveLength(1);
  });

  it('leaves alone a group whose processes are not an instance on the recorded port and slot', async () => {
    const other = await startWrapper('sleep 30; echo done', { PORT: '45999', SLOTSWAP_SLOT: 'b' }, 2);
    const noSlot = await startWrapper('sleep 30; echo done', { PORT: '45123' }, 2);
    const otherSlot = await startWrapper('sleep 30 & exit 0', { PORT: '45123', SLOTSWAP_SLOT: 'a' }, 1);
    const wrongFile = await startWrapper('sleep 30; echo done', ours, 2);
    const file = await pidFile([
      { pid: other.pgid, pgid: other.pgid, label: 'b-1', port: 45123, slot: 'b', file: 'sh' },
      { pid: noSlot.pgid, pgid: noSlot.pgid, label: 'b-1', port: 45123, slot: 'b', file: 'sh' },
      { pid: otherSlot.pgid, pgid: otherSlot.pgid, label: 'b-1', port: 45123, slot: 'b', file: 'sh' },
      { pid: wrongFile.pgid, pgid: wrongFile.pgid, label: 'b-1', port: 45123, slot: 'b', file: '/opt/not-this-program' },
    ]);
    expect(await file.reapOrphans()).toEqual([]);
    for (const group of [other, noSlot, otherSlot, wrongFile]) expect(group.pids.every(isAlive)).toBe(true);
  });

  it('skips a recorded group that no longer exists', async () => {
    const file = await pidFile([{ pid: 999_999_999, pgid: 999_999_999, label: 'a-1', port: 45123, slot: 'a', file: 'sh' }]);
    expect(await file.reapOrphans()).toEqual([]);
  });
});

import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { groupMembers, signalGroup } from '../../src/slots/process-group.js';
import { InstanceProcess } from '../../src/slots/instance-process.js';
import { eventually } from '../helpers/eventually.js';
import { isAlive } from '../helpers/test-daemon.js';

const BUILT = path.resolve(import.meta.dirname, '../../dist/slots/instance-process.js');

async function wrapper(dir: string): Promise<InstanceProcess> {
  const instance = await InstanceProcess.start({ label: 'a-1', command: ['sh', '-c', 'sleep 600; echo done'], cwd: dir, port: 45321, env: { PATH: process.env.PATH }, logFile: path.join(dir, 'a-1.log') });
  onTestFinished(() => void signalGroup(instance.pgid!, 'SIGKILL'));
  return instance;
}

describe('an instance process', () => {
  it('leads a process group of its own, and stop() ends every process of it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-instance-'));
    const instance = await wrapper(dir);
    expect(instance.pgid).toBe(instance.pid);
    const members = await eventually(async () => {
      const found = await groupMembers(instance.pgid!);
      expect(found.length).toBe(2);
      return found;
    });
    await instance.stop(3_000);
    expect(members.filter(isAlive)).toEqual([]);
    expect(instance.gone).toBe(true);
  });

  it('takes its whole group with it when the daemon process exits without stopping it', async () => {
    // A separate Node process (the built module, as the daemon runs it) starts a wrapper and exits at once.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-instance-'));
    const script = `
      const { InstanceProcess } = await import(${JSON.stringify(BUILT)});
      const i = await InstanceProcess.start({ label: 'a-1', command: ['sh', '-c', 'sleep 600; echo done'], cwd: ${JSON.stringify(dir)}, port: 45321, env: { PATH: process.env.PATH }, logFile: ${JSON.stringify(path.join(dir, 'a-1.log'))} });
      const { readdirSync, readFileSync } = await import('node:fs');
      // The wrapper and the child it started (found by parent pid, which does not presume any group).
      for (;;) {
        const children = readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).filter((n) => { try { const t = readFileSync('/proc/' + n + '/stat', 'utf8'); return Number(t.slice(t.lastIndexOf(')') + 2).split(' ')[1]) === i.pid; } catch { return false; } });
        if (children.length === 1) { console.log(JSON.stringify({ leader: i.pid, members: [i.pid, Number(children[0])] })); process.exit(0); }
        await new Promise((r) => setTimeout(r, 20));
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    const { leader, members } = JSON.parse(out) as { leader: number; members: number[] };
    onTestFinished(() => {
      for (const pid of members) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    });
    expect(members).toContain(leader);
    await eventually(() => expect(members.filter(isAlive)).toEqual([]), 2_000);
  });
});

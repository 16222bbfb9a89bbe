// Under systemd (Type=notify, NotifyAccess=all) the main pid changes with each restart: the new daemon names itself
// with MAINPID= and READY=1 on $NOTIFY_SOCKET, and daemon.json names it before the old daemon exits.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { makeProject, startDaemonIn } from '../helpers/test-daemon.js';
import { stopCurrentDaemonAtEnd } from '../helpers/restarted-daemon.js';
import { eventually } from '../helpers/eventually.js';

/** A unix datagram listener (Node has none), recording each datagram to a file. */
const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2] + '.ready', 'w').close()
while True:
    data = s.recv(65536)
    with open(sys.argv[2], 'a') as f:
        f.write(data.decode().strip() + '\\n--\\n')
`;

async function notifySocket(): Promise<{ socket: string; datagrams: () => Promise<string[]> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-notify-'));
  const socket = path.join(dir, 'notify.sock');
  const record = path.join(dir, 'datagrams.txt');
  const listener = spawn('python3', ['-c', LISTENER, socket, record], { stdio: 'ignore' });
  onTestFinished(() => void listener.kill('SIGKILL'));
  await eventually(() => expect(existsSync(`${record}.ready`)).toBe(true), 10_000);
  const datagrams = async () => (await readFile(record, 'utf8').catch(() => '')).split('\n--\n').filter((d) => d.trim() !== '');
  return { socket, datagrams };
}

describe('slotswap under systemd Type=notify', () => {
  it('sends READY=1 at start, and MAINPID=<new pid> with READY=1 from the new daemon after a restart', { timeout: 120_000 }, async () => {
    const { socket, datagrams } = await notifySocket();
    const project = await makeProject();
    const daemon = await startDaemonIn(project, { env: { NOTIFY_SOCKET: socket } });
    stopCurrentDaemonAtEnd(project.dir);
    await eventually(async () => expect(await datagrams()).toContainEqual(expect.stringMatching(/^READY=1$/m)), 10_000);

    // Read at the moment the old daemon exits: the pid file must already name its successor.
    let pidFileAtExit: number | null = null;
    daemon.process.once('exit', () => {
      pidFileAtExit = (JSON.parse(readFileSync(path.join(project.dir, 'state/daemon.json'), 'utf8')) as { pid: number }).pid;
    });
    const restarted = await daemon.cli(['restart', '--json'], 90_000);
    expect(restarted.code, restarted.stderr).toBe(0);
    const { newPid, oldPid } = JSON.parse(restarted.stdout) as { newPid: number; oldPid: number };
    expect(oldPid).toBe(daemon.process.pid);
    await eventually(async () => expect((await datagrams()).some((d) => d.includes(`MAINPID=${newPid}`) && d.includes('READY=1'))).toBe(true), 10_000);
    await daemon.exited;
    expect(pidFileAtExit).toBe(newPid);
  });
});

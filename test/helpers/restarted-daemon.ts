// After slotswap restart the daemon is a process the test did not spawn itself: read it from daemon.json, stop it by pid.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { isAlive } from './test-daemon.js';

export interface DaemonInfo {
  pid: number;
  ready: boolean;
}

export async function daemonInfo(dir: string): Promise<DaemonInfo> {
  return JSON.parse(await readFile(path.join(dir, 'state/daemon.json'), 'utf8')) as DaemonInfo;
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Registers the stop of whichever daemon daemon.json names when the test ends (SIGTERM, SIGKILL after 20 s). */
export function stopCurrentDaemonAtEnd(dir: string): void {
  onTestFinished(async () => {
    const info = await daemonInfo(dir).catch(() => null);
    if (!info || !isAlive(info.pid)) return;
    process.kill(info.pid, 'SIGTERM');
    if (!(await gone(info.pid, 20_000))) process.kill(info.pid, 'SIGKILL');
  });
}

export { gone as processGone };

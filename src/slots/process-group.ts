// An instance's process group as /proc shows it: who is in it, whether any of it still runs, and signalling all of it.
import { readFile, readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcStat {
  /** One letter: R running, S sleeping, Z zombie, ... */
  state: string;
  ppid: number;
  pgrp: number;
}

const GROUP_POLL_MS = 50;

/** Fields 3-5 of /proc/<pid>/stat; the command name may hold spaces and parentheses, so fields start after the last ')'. */
export function parseStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  const [state, ppid, pgrp] = [fields[0], Number(fields[1]), Number(fields[2])];
  if (!state || !Number.isInteger(ppid) || !Number.isInteger(pgrp)) return null;
  return { state, ppid, pgrp };
}

export async function statOf(pid: number): Promise<ProcStat | null> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then(parseStat, () => null);
}

/** The process group of a running process; null when it is gone or a zombie (a zombie counts as gone). */
export async function groupOf(pid: number): Promise<number | null> {
  const stat = await statOf(pid);
  return stat && stat.state !== 'Z' ? stat.pgrp : null;
}

/** Pids of the group's processes that still run (zombies left for a PID 1 that does not reap are not counted). */
export async function groupMembers(pgid: number): Promise<number[]> {
  // kill(-pgid, 0) fails only when no process at all, zombie or not, is in the group: the cheap common answer.
  if (!signalGroup(pgid, 0)) return [];
  const names = await readdir('/proc').catch(() => [] as string[]);
  const pids = names.filter((name) => /^\d+$/.test(name)).map(Number);
  const stats = await Promise.all(pids.map((pid) => statOf(pid)));
  return pids.filter((_, i) => stats[i] !== null && stats[i]!.pgrp === pgid && stats[i]!.state !== 'Z');
}

/** Sends a signal to every process of the group; false when the group has no process left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  // A pgid of 0 or 1 would mean "our own group" or "everything": never signal those.
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group runs; a running leader answers it with one read instead of a scan of /proc. */
export async function groupRuns(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  const leader = await statOf(pgid);
  if (leader && leader.state !== 'Z' && leader.pgrp === pgid) return true;
  return (await groupMembers(pgid)).length > 0;
}

/** Polls until no process of the group runs; true if that happened within timeoutMs. */
export async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (!(await groupRuns(pgid))) return true;
    if (Date.now() >= until) return false;
    await sleep(GROUP_POLL_MS);
  }
}

/** SIGTERM to the group, SIGKILL to it after stopTimeoutMs; resolves once none of it runs (or, at worst, shortly after SIGKILL). */
export async function stopGroup(pgid: number, stopTimeoutMs: number, onKill: () => void = () => {}): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await waitGroupGone(pgid, stopTimeoutMs)) return;
  onKill();
  signalGroup(pgid, 'SIGKILL');
  await waitGroupGone(pgid, stopTimeoutMs);
}

/** Field 22 of /proc/<pid>/stat (clock ticks since boot): with the pid it names one process for ever, a reused pid starts later. */
export function parseStartTime(text: string): number | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const value = Number(text.slice(close + 2).split(' ')[19]);
  return Number.isInteger(value) && value > 0 ? value : null;
}

export async function startTimeOf(pid: number): Promise<number | null> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then(parseStartTime, () => null);
}

// state/instances.json: the pids and process groups of the instances the daemon runs, so a daemon killed
// with -9 can reap its orphans (a wrapper's children included) at the next start instead of finding their ports taken.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupMembers, startTimeOf, statOf, stopGroup } from './process-group.js';

export interface PidRecord {
  pid: number;
  label: string;
  /** The executable as spawned, to tell our orphan from an unrelated process that reused the pid. */
  file: string;
  /** Its PORT: with the executable, what an unrelated process reusing the pid would not also have. */
  port: number;
  /** Its process group (led by pid); absent in files written before instances had groups of their own. */
  pgid?: number;
  /** Its SLOTSWAP_SLOT. */
  slot?: string;
  /** The leader's start time (/proc stat field 22); absent in files of older daemons, which cannot be adopted. */
  startTime?: number;
}

const REAP_WAIT_MS = 2_000;

/** A process's command line with spaces between the arguments, or null when it is gone. */
export function cmdlineOf(pid: number): Promise<string | null> {
  return readFile(`/proc/${pid}/cmdline`, 'utf8').then(
    (text) => text.split('\0').join(' '),
    () => null,
  );
}

function environmentOf(pid: number): Promise<string[]> {
  return readFile(`/proc/${pid}/environ`, 'utf8').then(
    (text) => text.split('\0'),
    () => [],
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The identity checks: the recorded executable in its command line, our PORT and a SLOTSWAP_SLOT in its environment. */
async function isOurs(record: PidRecord, pid: number): Promise<boolean> {
  const cmdline = await cmdlineOf(pid);
  if (!cmdline || !cmdline.includes(record.file)) return false;
  return hasOurEnvironment(record, pid);
}

async function hasOurEnvironment(record: PidRecord, pid: number): Promise<boolean> {
  const env = await environmentOf(pid);
  const slot = record.slot === undefined ? (v: string) => v.startsWith('SLOTSWAP_SLOT=') : (v: string) => v === `SLOTSWAP_SLOT=${record.slot}`;
  return env.includes(`PORT=${record.port}`) && env.some(slot);
}

/**
 * The running members of a recorded group, if the group is still ours: its leader passes the identity checks, or,
 * with the leader gone, a member does (a wrapper's child runs another executable, so a member may match by environment alone).
 */
async function ourGroup(record: PidRecord): Promise<number[]> {
  const pgid = record.pgid!;
  if (pgid <= 1 || pgid === process.pid) return [];
  const members = await groupMembers(pgid);
  if (members.length === 0) return [];
  const leader = await statOf(pgid);
  if (leader && leader.state !== 'Z') return leader.pgrp === pgid && (await isOurs(record, pgid)) ? members : [];
  for (const pid of members) if (await hasOurEnvironment(record, pid)) return members;
  return [];
}

/**
 * Whether the recorded leader still runs and is the very process recorded: same start time (so not a reused pid),
 * leader of its own group, our PORT and SLOTSWAP_SLOT. Only such a process may be adopted. Not the command line: a
 * start command that execs (sh -c 'exec node ...') has another one by now, and pid + start time name it already.
 */
export async function isAdoptable(record: PidRecord, env: readonly string[] = []): Promise<boolean> {
  if (typeof record.pid !== 'number' || typeof record.startTime !== 'number' || record.pgid !== record.pid) return false;
  const stat = await statOf(record.pid);
  if (!stat || stat.state === 'Z' || stat.pgrp !== record.pid) return false;
  if ((await startTimeOf(record.pid)) !== record.startTime) return false;
  if (env.length > 0) {
    const actual = await environmentOf(record.pid);
    if (!env.every((entry) => actual.includes(entry))) return false;
  }
  return hasOurEnvironment(record, record.pid);
}

export class PidFile {
  readonly file: string;
  #writing: Promise<void> = Promise.resolve();
  /** During a restart the new daemon owns the file. */
  #paused = false;

  pause(paused: boolean): void {
    this.#paused = paused;
  }

  constructor(file: string) {
    this.file = file;
  }

  /** Rewrites the file with the current list; writes are serialized and atomic (temp + rename). */
  record(records: PidRecord[]): Promise<void> {
    if (this.#paused) return this.#writing;
    const text = `${JSON.stringify(records, null, 2)}\n`;
    this.#writing = this.#writing.then(async () => {
      const temp = `${this.file}.tmp`;
      await writeFile(temp, text, { mode: 0o600 });
      await rename(temp, this.file);
    }).catch(() => {});
    return this.#writing;
  }

  /** What the file records now (an absent or unreadable file records nothing). */
  async read(): Promise<PidRecord[]> {
    try {
      const records = JSON.parse(await readFile(this.file, 'utf8')) as PidRecord[];
      return Array.isArray(records) ? records : [];
    } catch {
      return [];
    }
  }

  /** Stops instances a previous daemon left running, except the adopted pids; returns what was reaped. `records`: as read before adopting (adopting rewrites the file). */
  async reapOrphans(adopted: ReadonlySet<number> = new Set(), recorded?: readonly PidRecord[]): Promise<string[]> {
    const records = recorded ?? (await this.read());
    const reaped: string[] = [];
    for (const record of records) {
      if (adopted.has(record.pid)) continue;
      if (typeof record.pid !== 'number' || record.pid === process.pid) continue;
      if (typeof record.pgid === 'number') {
        const members = await ourGroup(record);
        if (members.length === 0) continue;
        await stopGroup(record.pgid, REAP_WAIT_MS);
        reaped.push(`${record.label} (process group ${record.pgid}: ${members.length} process(es), pids ${members.join(', ')})`);
        continue;
      }
      if (!alive(record.pid) || !(await isOurs(record, record.pid))) continue;
      process.kill(record.pid, 'SIGTERM');
      const until = Date.now() + REAP_WAIT_MS;
      while (alive(record.pid) && Date.now() < until) await sleep(20);
      if (alive(record.pid)) process.kill(record.pid, 'SIGKILL');
      reaped.push(`${record.label} (pid ${record.pid})`);
    }
    await this.record(records.filter((r) => adopted.has(r.pid)));
    return reaped;
  }
}

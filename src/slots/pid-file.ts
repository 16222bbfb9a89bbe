// state/instances.json: the pids of the instances the daemon runs, so a daemon killed with -9 can
// reap its orphans at the next start instead of finding their ports taken.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PidRecord {
  pid: number;
  label: string;
  /** The executable as spawned, to tell our orphan from an unrelated process that reused the pid. */
  file: string;
  /** Its PORT: with the executable, what an unrelated process reusing the pid would not also have. */
  port: number;
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

export class PidFile {
  readonly file: string;
  #writing: Promise<void> = Promise.resolve();

  constructor(file: string) {
    this.file = file;
  }

  /** Rewrites the file with the current list; writes are serialized and atomic (temp + rename). */
  record(records: PidRecord[]): Promise<void> {
    const text = `${JSON.stringify(records, null, 2)}\n`;
    this.#writing = this.#writing.then(async () => {
      const temp = `${this.file}.tmp`;
      await writeFile(temp, text, { mode: 0o600 });
      await rename(temp, this.file);
    }).catch(() => {});
    return this.#writing;
  }

  /** Stops instances a previous daemon left running; returns what was reaped. */
  async reapOrphans(): Promise<string[]> {
    let records: PidRecord[];
    try {
      records = JSON.parse(await readFile(this.file, 'utf8')) as PidRecord[];
      if (!Array.isArray(records)) return [];
    } catch {
      return [];
    }
    const reaped: string[] = [];
    for (const record of records) {
      if (typeof record.pid !== 'number' || record.pid === process.pid || !alive(record.pid)) continue;
      const cmdline = await cmdlineOf(record.pid);
      if (!cmdline || !cmdline.includes(record.file)) continue;
      const env = await environmentOf(record.pid);
      if (!env.includes(`PORT=${record.port}`) || !env.some((v) => v.startsWith('SLOTSWAP_SLOT='))) continue;
      process.kill(record.pid, 'SIGTERM');
      const until = Date.now() + REAP_WAIT_MS;
      while (alive(record.pid) && Date.now() < until) await sleep(20);
      if (alive(record.pid)) process.kill(record.pid, 'SIGKILL');
      reaped.push(`${record.label} (pid ${record.pid})`);
    }
    await this.record([]);
    return reaped;
  }
}

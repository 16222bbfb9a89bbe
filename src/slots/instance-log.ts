// One instance's stdout/stderr: a file the instance itself writes (its own descriptor, opened O_APPEND), so it
// outlives the daemon; the daemon keeps the size cap by copy-truncate and reads the tail back from the file.
import { open as openFd } from 'node:fs';
import { open, appendFile, chmod, copyFile, stat, truncate } from 'node:fs/promises';
import { promisify } from 'node:util';
import { LOG_MAX_BYTES, LOG_ROTATE_CHECK_MS, LOG_TAIL_LINES } from '../defaults.js';

/** An app's output may print its secrets: logs are the owner's only, like the state file. */
const LOG_FILE_MODE = 0o600;
/** Enough for LOG_TAIL_LINES ordinary lines; the tail never reads a whole capped file. */
const TAIL_BYTES = 64 * 1024;
const MAX_LINE = 4096;
/** The daemon's line before each start: a tail begins at the last one, since the runs of an instance share its file. */
export const START_MARK = 'starting on port';

export class InstanceLog {
  readonly file: string;
  readonly #maxBytes: number;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(file: string, maxBytes = LOG_MAX_BYTES) {
    this.file = file;
    this.#maxBytes = maxBytes;
  }

  /** A descriptor for the child's stdout and stderr; O_APPEND, so after a truncate its writes go to the new end (no hole). */
  async openForChild(): Promise<number> {
    // A plain descriptor, not a FileHandle: the caller closes it after spawn, and a FileHandle would close it again on GC.
    const fd = await promisify(openFd)(this.file, 'a', LOG_FILE_MODE);
    // The mode applies only to a new file: a log kept from an older daemon is narrowed too.
    await chmod(this.file, LOG_FILE_MODE).catch(() => {});
    return fd;
  }

  /** A line the daemon itself adds (start, exit), marked so that it stands out from the app's own output. */
  note(text: string): Promise<void> {
    const line = `[slotswap ${new Date().toISOString()}] ${text}\n`;
    this.#writing = this.#writing.then(() => appendFile(this.file, line, { mode: LOG_FILE_MODE })).catch(() => {});
    return this.#writing;
  }

  /** Checks the size now and then while the instance runs; the timer never keeps the daemon alive. */
  watch(intervalMs = LOG_ROTATE_CHECK_MS): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.rotateIfOver(), intervalMs);
    this.#timer.unref();
  }

  /**
   * Copy-truncate: the file is copied to ".1" and cut to 0 in place, because the instance's descriptor points at
   * this inode (a rename would leave it writing to ".1"). Lines written between the copy and the cut are lost.
   */
  async rotateIfOver(): Promise<boolean> {
    const size = await stat(this.file).then((s) => s.size, () => 0);
    if (size <= this.#maxBytes) return false;
    await this.#writing;
    await copyFile(this.file, `${this.file}.1`);
    await chmod(`${this.file}.1`, LOG_FILE_MODE).catch(() => {});
    await truncate(this.file, 0);
    return true;
  }

  /** The last lines of the file (a rotated-away part is not read), after the last line marked `since`, if given. */
  async tail(lines = LOG_TAIL_LINES, since: string | null = START_MARK): Promise<string[]> {
    await this.#writing;
    let handle;
    try {
      handle = await open(this.file, 'r');
    } catch {
      return [];
    }
    try {
      const size = (await handle.stat()).size;
      const from = Math.max(0, size - TAIL_BYTES);
      const buffer = Buffer.alloc(size - from);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
      const all = buffer.subarray(0, bytesRead).toString('utf8').split('\n');
      if (all.at(-1) === '') all.pop();
      // A read that starts mid-file starts mid-line: that first piece is not a line.
      if (from > 0) all.shift();
      const mark = since ? all.findLastIndex((line) => line.startsWith('[slotswap ') && line.includes(since)) : -1;
      // The mark itself is left out: it only says where this run begins.
      return all.slice(mark + 1).slice(-lines).map((line) => (line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}...` : line));
    } finally {
      await handle.close();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#writing;
  }
}

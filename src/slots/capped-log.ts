// One instance's stdout/stderr on disk, size-capped by rotating to a single ".1" file, plus the last lines in memory.
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, rename, stat } from 'node:fs/promises';
import { LOG_MAX_BYTES, LOG_TAIL_LINES } from '../defaults.js';

/** An app's output may print its secrets: logs are the owner's only, like the state file. */
const LOG_FILE_MODE = 0o600;

export class CappedLog {
  readonly file: string;
  readonly #maxBytes: number;
  #stream: WriteStream;
  #bytes = 0;
  #rotating = false;
  #pending: Buffer[] = [];
  #tail: string[] = [];
  #partial = '';

  constructor(file: string, maxBytes = LOG_MAX_BYTES) {
    this.file = file;
    this.#maxBytes = maxBytes;
    this.#stream = createWriteStream(file, { flags: 'a', mode: LOG_FILE_MODE });
    this.#stream.on('error', () => {});
    // The mode applies only to a new file: a log kept from an older daemon is narrowed too.
    chmod(file, LOG_FILE_MODE).catch(() => {});
    stat(file).then((s) => (this.#bytes += s.size), () => {});
  }

  write(chunk: Buffer): void {
    this.#remember(chunk.toString('utf8'));
    if (this.#rotating) {
      this.#pending.push(chunk);
      return;
    }
    this.#stream.write(chunk);
    this.#bytes += chunk.length;
    if (this.#bytes > this.#maxBytes) void this.#rotate();
  }

  /** A line the daemon itself adds (start, exit), marked so that it stands out from the app's own output. */
  note(text: string): void {
    this.write(Buffer.from(`[slotswap ${new Date().toISOString()}] ${text}\n`));
  }

  tail(lines = LOG_TAIL_LINES): string[] {
    const all = this.#partial ? [...this.#tail, this.#partial] : this.#tail;
    return all.slice(-lines);
  }

  #remember(text: string): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = (parts.pop() ?? '').slice(-4096);
    for (const line of parts) this.#tail.push(line.length > 4096 ? `${line.slice(0, 4096)}...` : line);
    if (this.#tail.length > LOG_TAIL_LINES) this.#tail.splice(0, this.#tail.length - LOG_TAIL_LINES);
  }

  async #rotate(): Promise<void> {
    this.#rotating = true;
    await new Promise<void>((resolve) => this.#stream.end(resolve));
    await rename(this.file, `${this.file}.1`).catch(() => {});
    this.#stream = createWriteStream(this.file, { flags: 'a', mode: LOG_FILE_MODE });
    this.#stream.on('error', () => {});
    this.#bytes = 0;
    this.#rotating = false;
    const pending = this.#pending;
    this.#pending = [];
    for (const chunk of pending) this.write(chunk);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#stream.end(resolve));
  }
}

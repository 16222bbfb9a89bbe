// A lowdb adapter like JSONFile, but the file is created 0600 (release env values may hold secrets) and written durably.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';

const PRIVATE_FILE_MODE = 0o600;

interface Waiting {
  text: string;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class PrivateJsonFile<T> implements Adapter<T> {
  readonly #file: string;
  readonly #temp: string;
  #busy = false;
  /** Writes asked for while one runs collapse into one: only the newest content matters. */
  #next: Waiting | null = null;

  constructor(file: string) {
    this.#file = file;
    this.#temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return JSON.parse(text) as T;
  }

  write(data: T): Promise<void> {
    // Serialised now: lowdb hands over its live object, which changes again before a queued write runs.
    const text = JSON.stringify(data, null, 2);
    if (!this.#busy) return this.#run(text);
    if (this.#next) {
      this.#next.text = text;
      return this.#next.done;
    }
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    this.#next = { text, done, resolve, reject };
    return done;
  }

  async #run(text: string): Promise<void> {
    this.#busy = true;
    try {
      // A temp file left by a crash may have another mode: the new one is created afresh, so the rename carries 0600.
      await rm(this.#temp, { force: true });
      await writeFile(this.#temp, text, { mode: PRIVATE_FILE_MODE, flag: 'wx', flush: true });
      await rename(this.#temp, this.#file);
    } finally {
      this.#busy = false;
      const next = this.#next;
      this.#next = null;
      if (next) this.#run(next.text).then(next.resolve, next.reject);
    }
  }
}

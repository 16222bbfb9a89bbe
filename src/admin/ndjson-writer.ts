// NDJSON progress stream whose status line is sent only once the operation is really under way,
// so that a refusal found early (bad version, conflict) still gets its own HTTP status.
import type { Response } from 'express';

export class NdjsonWriter {
  readonly #res: Response;
  #buffered: string[] = [];
  #committed = false;

  constructor(res: Response) {
    this.#res = res;
  }

  get committed(): boolean {
    return this.#committed;
  }

  /** Buffers lines until `commit` is true once; from then on every line goes straight out. */
  write(event: object, commit = false): void {
    this.#buffered.push(`${JSON.stringify(event)}\n`);
    if (commit && !this.#committed) {
      this.#committed = true;
      this.#res.status(200);
      this.#res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
      this.#res.setHeader('cache-control', 'no-store');
      this.#res.flushHeaders();
    }
    if (this.#committed) {
      for (const line of this.#buffered) this.#res.write(line);
      this.#buffered = [];
    }
  }

  end(event: object): void {
    this.write(event, true);
    this.#res.end();
  }
}

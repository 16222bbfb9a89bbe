// Refused admin requests: counted for /metrics and logged at most once per interval, never written to the state file.
import { AUTH_FAILURE_LOG_INTERVAL_MS, AUTH_FAILURE_LOG_PATH_MAX_BYTES } from '../defaults.js';
import { cutToBytes } from '../state/bounded-list.js';

export class AuthFailures {
  #total = 0;
  #suppressed = 0;
  #lastLogAt = -Infinity;
  readonly #intervalMs: number;
  readonly #log: (line: string) => void;
  readonly #now: () => number;

  constructor(intervalMs = AUTH_FAILURE_LOG_INTERVAL_MS, log: (line: string) => void = (line) => console.error(line), now: () => number = () => performance.now()) {
    this.#intervalMs = intervalMs;
    this.#log = log;
    this.#now = now;
  }

  get total(): number {
    return this.#total;
  }

  refused(method: string, url: string, remoteAddress: string | undefined): void {
    this.#total++;
    const now = this.#now();
    if (now - this.#lastLogAt < this.#intervalMs) {
      this.#suppressed++;
      return;
    }
    const since = this.#suppressed > 0 ? ` (${this.#suppressed} more refused since the last such line)` : '';
    this.#lastLogAt = now;
    this.#suppressed = 0;
    // Only the path, cut: a query string could hold anything, and a flood of long paths must not flood the log.
    const pathOnly = cutToBytes(url.split('?')[0] ?? '', AUTH_FAILURE_LOG_PATH_MAX_BYTES);
    this.#log(`slotswap: refused an admin request without a valid token: ${method} ${JSON.stringify(pathOnly)} from ${remoteAddress ?? 'unknown'}${since}; ${this.#total} refused in all`);
  }
}

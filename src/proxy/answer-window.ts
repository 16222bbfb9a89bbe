// A slot's answers over the last seconds: a ring of time slices, each with its answer count, its errors and a latency
// histogram, written in place (no allocation per answer) and summed only when the analysis asks.
import { ANALYSIS_SLICE_MS, ANALYSIS_WINDOW_MAX_MS } from '../defaults.js';

/** Latency bucket upper bounds in ms for the analysis' p99 (finer than the /metrics buckets); the last is +Inf. */
export const WINDOW_BOUNDS_MS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1200, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000, 10_000, 15_000, 20_000, 30_000];

const SLICES = Math.ceil(ANALYSIS_WINDOW_MAX_MS / ANALYSIS_SLICE_MS) + 1;
/** Per slice: answers, errors, then one count per bucket (+Inf last). */
const WIDTH = 2 + WINDOW_BOUNDS_MS.length + 1;

export interface WindowFigures {
  requests: number;
  errors: number;
  /** Share of errors among the answers, in percent (0 when there were none). */
  errorRatePct: number;
  /** The 99th percentile latency in ms, interpolated within its bucket (null: no answers). */
  p99Ms: number | null;
}

/** Index of the first bucket whose bound is >= ms (the +Inf bucket past the last). */
export function bucketOf(ms: number, bounds: readonly number[]): number {
  let i = 0;
  while (i < bounds.length && ms > bounds[i]!) i++;
  return i;
}

/** The q-quantile of bucket counts, interpolated linearly inside its bucket like Prometheus' histogram_quantile. */
export function quantileMs(counts: ArrayLike<number>, bounds: readonly number[], q: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (seen + c >= rank && c > 0) {
      // The +Inf bucket has no upper bound: the last finite one is what can be said.
      if (i >= bounds.length) return bounds[bounds.length - 1]!;
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return lower + (bounds[i]! - lower) * ((rank - seen) / c);
    }
    seen += c;
  }
  return bounds[bounds.length - 1]!;
}

export class AnswerWindow {
  readonly #counts = new Float64Array(SLICES * WIDTH);
  /** Which slice number each ring row holds now (-1: none yet). */
  readonly #epochs = new Float64Array(SLICES).fill(-1);

  /** One answer at `nowMs` (performance.now()), `ms` after the request was forwarded; error: 5xx or a proxy error. */
  record(nowMs: number, ms: number, error: boolean): void {
    const epoch = Math.floor(nowMs / ANALYSIS_SLICE_MS);
    const row = epoch % SLICES;
    const at = row * WIDTH;
    if (this.#epochs[row] !== epoch) {
      this.#counts.fill(0, at, at + WIDTH);
      this.#epochs[row] = epoch;
    }
    this.#counts[at]!++;
    if (error) this.#counts[at + 1]!++;
    this.#counts[at + 2 + bucketOf(ms, WINDOW_BOUNDS_MS)]!++;
  }

  /** The answers of the last `windowMs` (whole slices, the current one included). */
  figures(nowMs: number, windowMs: number): WindowFigures {
    const last = Math.floor(nowMs / ANALYSIS_SLICE_MS);
    const slices = Math.min(SLICES - 1, Math.max(1, Math.ceil(windowMs / ANALYSIS_SLICE_MS)));
    const buckets = new Float64Array(WINDOW_BOUNDS_MS.length + 1);
    let requests = 0;
    let errors = 0;
    for (let epoch = last - slices + 1; epoch <= last; epoch++) {
      if (epoch < 0) continue;
      const row = epoch % SLICES;
      if (this.#epochs[row] !== epoch) continue;
      const at = row * WIDTH;
      requests += this.#counts[at]!;
      errors += this.#counts[at + 1]!;
      for (let b = 0; b < buckets.length; b++) buckets[b]! += this.#counts[at + 2 + b]!;
    }
    return { requests, errors, errorRatePct: requests === 0 ? 0 : (errors / requests) * 100, p99Ms: quantileMs(buckets, WINDOW_BOUNDS_MS, 0.99) };
  }
}

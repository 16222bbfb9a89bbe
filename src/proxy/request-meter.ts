// The proxy's per-slot request counts, by the slot's release version: what /metrics renders and the canary analysis
// reads. Bound to each version at publish time, so counting an answer is a few array writes and allocates nothing.
import type { SlotName } from '../config/config-types.js';
import { METRICS_VERSIONS_PER_SLOT } from '../defaults.js';
import { AnswerWindow, bucketOf } from './answer-window.js';
import type { RoutingSnapshot } from './routing-snapshot.js';

/** slotswap_request_duration_seconds buckets: 1 ms to 30 s. */
export const DURATION_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const DURATION_BOUNDS_MS = DURATION_BUCKETS_S.map((s) => s * 1000);

/** The counts of one slot while it ran one version. */
export class VersionCounts {
  readonly slot: SlotName;
  readonly version: string;
  /** Per duration bucket (not cumulative), +Inf last. */
  readonly buckets = new Float64Array(DURATION_BUCKETS_S.length + 1);
  sumSeconds = 0;
  count = 0;
  /** Answers by status class (index = status / 100). */
  readonly classes = new Float64Array(6);
  readonly window = new AnswerWindow();

  constructor(slot: SlotName, version: string) {
    this.slot = slot;
    this.version = version;
  }

  record(nowMs: number, ms: number, status: number): void {
    const cls = (status / 100) | 0;
    this.buckets[bucketOf(ms, DURATION_BOUNDS_MS)]!++;
    this.sumSeconds += ms / 1000;
    this.count++;
    if (cls >= 0 && cls < 6) this.classes[cls]!++;
    this.window.record(nowMs, ms, status >= 500);
  }
}

export class RequestMeter {
  /** What each slot's answers are counted under now (null: the slot runs no release). */
  readonly #current: Record<SlotName, VersionCounts | null> = { a: null, b: null };
  /** Every version's counts still kept, oldest first, for /metrics (series only go up while kept). */
  readonly #kept: Record<SlotName, VersionCounts[]> = { a: [], b: [] };

  /** Called with every published snapshot: a slot that runs another version now counts under it. */
  bind(snapshot: RoutingSnapshot): void {
    for (const name of ['a', 'b'] as const) {
      const version = snapshot.slots[name].version;
      const current = this.#current[name];
      if (version === (current?.version ?? null)) continue;
      this.#current[name] = version === null ? null : this.#countsFor(name, version);
    }
  }

  #countsFor(slot: SlotName, version: string): VersionCounts {
    const kept = this.#kept[slot];
    const found = kept.find((c) => c.version === version);
    if (found) return found;
    const counts = new VersionCounts(slot, version);
    kept.push(counts);
    if (kept.length > METRICS_VERSIONS_PER_SLOT) kept.shift();
    return counts;
  }

  /** One answer to a request forwarded to `slot` (the slot's own, or the proxy's 502/504 for it). */
  count(slot: SlotName, status: number, startedAt: number | undefined, nowMs: number): void {
    this.#current[slot]?.record(nowMs, startedAt === undefined ? 0 : nowMs - startedAt, status);
  }

  current(slot: SlotName): VersionCounts | null {
    return this.#current[slot];
  }

  kept(): readonly VersionCounts[] {
    return [...this.#kept.a, ...this.#kept.b];
  }
}

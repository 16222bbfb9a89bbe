// How each progressive rollout ended (promoted, aborted, rolled back), for a `deploy --wait` that waits for it.
import type { AnalysisVerdict } from '../state/state-types.js';

export interface RolloutEnd {
  outcome: 'promoted' | 'aborted' | 'rolled-back';
  message: string;
  verdict: AnalysisVerdict | null;
}

interface Pending {
  promise: Promise<RolloutEnd>;
  resolve: (end: RolloutEnd) => void;
}

/** By the deploy's history id; an end nobody waited for is forgotten after a minute. */
const ends = new Map<string, Pending>();
const FORGET_AFTER_MS = 60_000;

function pending(id: string): Pending {
  let entry = ends.get(id);
  if (!entry) {
    let resolve!: (end: RolloutEnd) => void;
    const promise = new Promise<RolloutEnd>((r) => (resolve = r));
    entry = { promise, resolve };
    ends.set(id, entry);
  }
  return entry;
}

export function rolloutEnd(deployId: string): Promise<RolloutEnd> {
  return pending(deployId).promise;
}

export function settleRollout(deployId: string, end: RolloutEnd): void {
  pending(deployId).resolve(end);
  setTimeout(() => ends.delete(deployId), FORGET_AFTER_MS).unref();
}

// The fleet's canary as etcd keeps it (<prefix>canary), and what each node makes of it: its local canary record,
// which the proxy routes by exactly as for a local canary (weight of new clients, sticky cookie).
import type { SlotName } from '../config/config-types.js';
import type { CanaryRecord } from '../state/state-types.js';
import { NO_PROGRESSIVE } from '../ops/canary.js';
import type { FleetReleaseRef } from './fleet-store.js';

export interface FleetCanary {
  /** The canary's deploy id: each node prepared its slot under it, and promote commits the release with it. */
  deployId: string;
  version: string;
  sha256: string;
  minCompatibleVersion: string;
  /** The version the rest of the traffic stays on (the fleet's release, or what the nodes served before the first). */
  fromVersion: string | null;
  weight: number;
  /** Each node's slot that runs the canary. */
  slots: Record<string, SlotName>;
  /** Admin URLs of nodes that keep the archive: a node that starts while the canary runs fetches it there. */
  archiveFrom: string[];
  coordinator: string;
  startedAt: string;
  weightSince: string;
  /** Weights still to come (--steps), each after stepMs, run by the coordinator; then a promotion unless autoPromote is off. */
  steps: number[];
  stepMs: number | null;
  autoPromote: boolean;
  /** Where a flip goes back to once the canary is promoted: the release it runs beside, or what the nodes served before. */
  before: FleetReleaseRef | null;
}

/** The node's local canary record for the fleet's canary: no local steps or analysis (the fleet's are the coordinator's). */
export function localCanaryRecord(canary: FleetCanary, slot: SlotName, fromSlot: SlotName, fromVersion: string | null, startedAt = canary.startedAt): CanaryRecord {
  return {
    deployId: canary.deployId,
    slot,
    version: canary.version,
    fromSlot,
    fromVersion,
    weight: canary.weight,
    startedAt,
    steps: [],
    stepMs: null,
    weightSince: canary.weightSince,
    autoPromote: false,
    analysis: NO_PROGRESSIVE.analysis,
    watchMs: null,
  };
}

/** The canary after a weight change: by the operator (`rest` null: the steps stop) or the next of the steps. */
export function withWeight(canary: FleetCanary, weight: number, rest: number[] | null, at = new Date().toISOString()): FleetCanary {
  return { ...canary, weight, weightSince: at, steps: rest ?? [], stepMs: rest === null ? null : canary.stepMs, autoPromote: rest === null ? false : canary.autoPromote };
}

/** How long until the coordinator's next step (a weight or the promotion), or null when no step is to come. */
export function nextStepInMs(canary: FleetCanary, now = Date.now()): number | null {
  if (canary.stepMs === null || (canary.steps.length === 0 && !canary.autoPromote)) return null;
  return Math.max(0, Date.parse(canary.weightSince) + canary.stepMs - now);
}

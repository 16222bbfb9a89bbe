// The fleet's history of operations in etcd (<prefix>history/): one entry per fleet operation, written by the node
// that coordinated it, in the style of the local history; the last FLEET_HISTORY_KEEP are kept.
import { randomUUID } from 'node:crypto';
import { toSlotswapError } from '../errors.js';
import { FLEET_HISTORY_KEEP } from '../defaults.js';
import type { Outcome, StepRecord } from '../state/state-types.js';
import type { FleetAgent } from './fleet-agent.js';

export interface FleetHistoryEntry {
  id: string;
  op: string;
  actor: string;
  /** The node the operation was sent to, which ran it for the fleet. */
  coordinator: string;
  startedAt: string;
  endedAt: string;
  outcome: Outcome;
  fromVersion: string | null;
  toVersion: string | null;
  error: string | null;
  steps: StepRecord[];
  /** The same as the local history's slot: the coordinator's slot, for `slotswap history`'s table. */
  slot: string | null;
}

export interface FleetOperationEnd {
  toVersion: string | null;
  outcome?: Outcome;
  slot?: string | null;
  steps?: StepRecord[];
  error?: string | null;
}

/**
 * Runs one fleet operation and appends its entry to the fleet's history, whether it succeeded or failed. Writing the
 * entry never changes the operation's own answer: an etcd that went away after it is logged, not thrown.
 */
export async function recordFleetOperation<T>(agent: FleetAgent, op: string, actor: string, run: () => Promise<T>, end: (result: T) => FleetOperationEnd, intended: string | null = null): Promise<T> {
  const startedAt = new Date().toISOString();
  const fromVersion = agent.orch.liveVersion();
  const base = { id: randomUUID(), op, actor, coordinator: agent.name, startedAt, fromVersion };
  let entry: FleetHistoryEntry;
  let result: T;
  try {
    result = await run();
    const e = end(result);
    entry = { ...base, endedAt: new Date().toISOString(), outcome: e.outcome ?? 'ok', toVersion: e.toVersion, error: e.error ?? null, steps: e.steps ?? [], slot: e.slot ?? null };
  } catch (err) {
    entry = { ...base, endedAt: new Date().toISOString(), outcome: 'failed', toVersion: intended, error: toSlotswapError(err).message, steps: [], slot: null };
    await appendFleetHistory(agent, entry);
    throw err;
  }
  await appendFleetHistory(agent, entry);
  return result;
}

export async function appendFleetHistory(agent: FleetAgent, entry: FleetHistoryEntry): Promise<void> {
  await agent.store.appendHistory(entry, FLEET_HISTORY_KEEP).catch((err: unknown) => console.error(`slotswap: fleet: could not record ${entry.op} in the fleet's history: ${toSlotswapError(err).message}`));
}

// A node's part of the fleet's canary: route the canary's weight to the slot it prepared (its local canary record,
// the same routing and sticky cookie as a local canary), bring the canary up when it starts while one runs, and end
// it: promoted (the slot went live by the fleet's flip) or aborted (its slot drains and stops).
import { toSlotswapError } from '../errors.js';
import type { SlotName } from '../config/config-types.js';
import { drainSteps } from '../ops/drain.js';
import type { FleetAgent } from './fleet-agent.js';
import { localCanaryRecord, type FleetCanary } from './fleet-canary-record.js';
import { withLocalLock } from './fleet-node.js';
import { bringUp } from './fleet-prepare-here.js';
import { scheduleSteps } from './fleet-canary.js';

interface NodeCanaryState {
  /** The fleet canary this node routes by (null: none), and the revision it was read at. */
  canary: FleetCanary | null;
  revision: number;
  queue: Promise<void>;
}

const states = new WeakMap<FleetAgent, NodeCanaryState>();

function stateOf(agent: FleetAgent): NodeCanaryState {
  let s = states.get(agent);
  if (!s) states.set(agent, (s = { canary: null, revision: 0, queue: Promise.resolve() }));
  return s;
}

/** The fleet canary this node follows now, or null. */
export function nodeCanary(agent: FleetAgent): FleetCanary | null {
  return stateOf(agent).canary;
}

/**
 * Follows the fleet's canary as read at `revision` (null: none runs), one change at a time and never an older one
 * after a newer (the watch and the coordinator's direct call both bring it). `revision` 0: always apply.
 */
export function followCanary(agent: FleetAgent, canary: FleetCanary | null, revision: number): Promise<void> {
  const s = stateOf(agent);
  const run = s.queue.then(async () => {
    if (revision !== 0 && revision < s.revision) return;
    if (revision !== 0) s.revision = revision;
    if (canary) await applyCanary(agent, canary);
    else await endCanary(agent);
  });
  s.queue = run.catch((err: unknown) => console.error(`slotswap: fleet: could not follow the fleet's canary: ${toSlotswapError(err).message}`));
  return run;
}

/** Reads the fleet's canary from etcd and follows it (a start, a reconnect). */
export async function syncCanary(agent: FleetAgent): Promise<void> {
  const { canary, revision } = await agent.store.readCanary();
  await followCanary(agent, canary, Number(revision));
  // The coordinator that restarts takes its steps up again where the record says (weightSince).
  if (canary) scheduleSteps(agent, canary);
}

async function applyCanary(agent: FleetAgent, canary: FleetCanary): Promise<void> {
  const orch = agent.orch;
  const s = stateOf(agent);
  const live = orch.store.data.live;
  // Promoted already (this node followed the release the canary became): nothing to route.
  if (agent.liveDeployId === canary.deployId || !live) return;
  agent.archivesInUse.add(canary.sha256);
  let slot: SlotName | null = agent.prepared.get(canary.deployId) ?? null;
  const local = orch.store.data.canary;
  if (!slot && local?.deployId === canary.deployId && orch.store.data.slots[local.slot].state === 'ready') slot = local.slot;
  if (!slot) slot = (await bringUp(agent, canary)).slot;
  agent.prepared.set(canary.deployId, slot);
  s.canary = canary;
  const record = localCanaryRecord(canary, slot, live, local?.deployId === canary.deployId ? local.fromVersion : orch.liveVersion(), local?.deployId === canary.deployId ? local.startedAt : undefined);
  await orch.store.setCanary(record);
  orch.publish(`fleet canary ${canary.weight} % on slot ${slot}`);
}

/** The canary is over: promoted (its slot is live, or about to be by the fleet's flip) or aborted (its slot drains and stops). */
async function endCanary(agent: FleetAgent): Promise<void> {
  const orch = agent.orch;
  const s = stateOf(agent);
  const was = s.canary;
  s.canary = null;
  const local = orch.store.data.canary;
  const deployId = was?.deployId ?? local?.deployId ?? null;
  if (was) agent.archivesInUse.delete(was.sha256);
  if (local) {
    await orch.store.setCanary(null);
    orch.publish('fleet canary ended');
  }
  if (!deployId) return;
  const slot = agent.prepared.get(deployId) ?? local?.slot ?? null;
  if (!slot) return;
  const promoted = agent.liveDeployId === deployId || (await agent.store.readRelease().catch(() => null))?.release?.deployId === deployId;
  if (promoted) return;
  agent.prepared.delete(deployId);
  await drainAndStop(agent, slot);
}

/** Aborted: the canary's slot drains (its sticky clients finish their requests) and stops, through the local runner. */
async function drainAndStop(agent: FleetAgent, slot: SlotName): Promise<void> {
  const orch = agent.orch;
  const state = orch.store.data.slots[slot].state;
  if (orch.store.data.live === slot || (state !== 'ready' && state !== 'starting')) return;
  const outcome = await withLocalLock(() => orch.runner.run({ op: 'fleet-abort', actor: `fleet:${agent.name}`, slot, fromVersion: orch.liveVersion(), context: {}, steps: [], after: drainSteps(orch, slot) }));
  void outcome.done;
}

// slotswap promote / abort on a fleet node: promote makes the canary the fleet's release by the fleet deploy's own
// commit path (one compare-revision transaction, every node follows, AppRun.json flips everywhere) and then clears
// the canary; abort clears it in one transaction and every node drains and stops its canary slot.
import { randomUUID } from 'node:crypto';
import { SlotswapError, toSlotswapError } from '../errors.js';
import { FLEET_ETCD_CALL_TIMEOUT_MS, FLEET_SETTINGS_WRITE_ATTEMPTS } from '../defaults.js';
import type { StepRecord } from '../state/state-types.js';
import type { FleetAgent } from './fleet-agent.js';
import type { PrepareResult } from './fleet-node.js';
import { commitAndFollow, refOf, stepRecorder } from './fleet-deploy.js';
import { callPeer } from './fleet-peer.js';
import type { FleetCanary } from './fleet-canary-record.js';
import { registeredNodes, stopSteps, tellNodes } from './fleet-canary.js';

/** What a node answers POST /api/fleet/canary/check with: the slot it runs the canary in, and whether it can take it live. */
export interface CanaryCheck {
  node: string;
  slot: string | null;
  ready: boolean;
  reason: string | null;
}

function requireFleetCanary(canary: FleetCanary | null): FleetCanary {
  if (!canary) throw new SlotswapError('conflict', 'no fleet canary runs; start one with slotswap deploy <release> --canary <percent>');
  return canary;
}

/** Deletes the canary key in a compare-revision transaction (read again when a weight change came in between). */
async function clearCanary(agent: FleetAgent, deployId: string): Promise<string> {
  for (let attempt = 0; attempt < FLEET_SETTINGS_WRITE_ATTEMPTS; attempt++) {
    const [{ canary, revision: canaryRevision }, { revision }] = await Promise.all([agent.store.readCanary(), agent.store.readRelease()]);
    if (canary?.deployId !== deployId) return canaryRevision;
    const written = await agent.store.commitCanary(null, canaryRevision, revision);
    if (written !== null) return written;
  }
  throw new SlotswapError('conflict', `the fleet's canary in etcd changed ${FLEET_SETTINGS_WRITE_ATTEMPTS} times while it was being cleared; retry`);
}

export interface FleetPromoteResult {
  id: string;
  slot: string;
  version: string;
  from: string;
  switchMs: number;
  watchMs: null;
  propagationMs: number;
  steps: StepRecord[];
  nodes: { name: string; slot: string }[];
}

export async function fleetPromote(agent: FleetAgent): Promise<FleetPromoteResult> {
  const { steps, emit } = stepRecorder();
  const lock = await agent.store.lock(agent.name);
  try {
    const { release: current, revision } = await agent.store.readRelease();
    const canary = requireFleetCanary((await agent.store.readCanary()).canary);
    const nodes = await registeredNodes(agent);
    const from = agent.orch.store.data.live ?? '-';
    // Every node must run the canary healthy in its slot: the flip is all or nothing.
    const checks = await Promise.all(nodes.map((n) => callPeer<CanaryCheck>(n.advertiseUrl, agent.token, 'POST', '/api/fleet/canary/check', { deployId: canary.deployId }, FLEET_ETCD_CALL_TIMEOUT_MS * 2).catch((err: unknown): CanaryCheck => ({ node: n.name, slot: null, ready: false, reason: toSlotswapError(err).message }))));
    const notReady = checks.filter((c) => !c.ready);
    if (notReady.length > 0) throw new SlotswapError('conflict', `fleet promote of ${canary.version} refused: ${notReady.map((c) => `node ${c.node}: ${c.reason}`).join('; ')}; nothing was flipped; abort the canary (slotswap abort) or retry once every node runs it`);
    const settled: PrepareResult[] = checks.map((c) => ({ node: c.node, slot: c.slot as 'a' | 'b', version: canary.version, minCompatibleVersion: canary.minCompatibleVersion, steps: [] }));
    stopSteps(agent);
    const { next, mine, propagationMs } = await commitAndFollow(agent, { id: canary.deployId, op: 'promote', emit, nodes, settled, revision, current, sha256: canary.sha256, previous: current ? refOf(current) : canary.before }).catch(async (err: unknown) => {
      // Not committed: commitAndFollow has stopped every node's canary slot, so the canary ends everywhere too.
      const ended = await clearCanary(agent, canary.deployId).then((rev) => tellNodes(agent, nodes, null, rev, canary.deployId).then(() => true), () => false);
      const e = toSlotswapError(err);
      throw new SlotswapError(e.code, `${e.message}; ${ended ? 'the canary was ended on every node (all traffic on the old version)' : "the canary's slots were stopped; end it with slotswap abort once etcd answers"}`, e.details);
    });
    const cleared = await clearCanary(agent, canary.deployId);
    await tellNodes(agent, nodes, null, cleared, canary.deployId);
    agent.archivesInUse.delete(canary.sha256);
    return { id: randomUUID(), slot: mine.slot, version: next.version, from, switchMs: agent.liveDeployId === next.deployId ? agent.switchMs : 0, watchMs: null, propagationMs, steps, nodes: settled.map((r) => ({ name: r.node, slot: r.slot })) };
  } finally {
    await lock.release();
  }
}

export interface FleetAbortResult {
  id: string;
  slot: string;
  version: string;
  backTo: string;
  message: string;
  verdict: null;
  nodes: string[];
}

export async function fleetAbort(agent: FleetAgent, actor: string): Promise<FleetAbortResult> {
  const lock = await agent.store.lock(agent.name);
  try {
    const canary = requireFleetCanary((await agent.store.readCanary()).canary);
    stopSteps(agent);
    const cleared = await clearCanary(agent, canary.deployId);
    const nodes = await registeredNodes(agent);
    const late = await tellNodes(agent, nodes, null, cleared, canary.deployId);
    agent.archivesInUse.delete(canary.sha256);
    const message = `aborted by ${actor}${late.length ? `; not yet told (they follow from their watch): ${late.join('; ')}` : ''}`;
    return { id: randomUUID(), slot: canary.slots[agent.name] ?? '-', version: canary.version, backTo: agent.orch.store.data.live ?? '-', message, verdict: null, nodes: nodes.map((n) => n.name) };
  } finally {
    await lock.release();
  }
}

// slotswap flip / rollback on a fleet node: the whole fleet goes back to the fleet's previous release in ONE
// compare-revision transaction, when every node can serve it again (its old slot still runs it, or it kept the
// archive). A node that cannot: nothing flips anywhere, and the error names it.
import { randomUUID } from 'node:crypto';
import { SlotswapError, toSlotswapError } from '../errors.js';
import { FLEET_PREPARE_TIMEOUT_MS } from '../defaults.js';
import type { StepRecord } from '../state/state-types.js';
import type { FleetAgent } from './fleet-agent.js';
import type { PrepareRequest, PrepareResult } from './fleet-node.js';
import { abortEverywhere, commitAndFollow, refOf, reportNodeSteps, step, stepRecorder } from './fleet-deploy.js';
import { callPeer } from './fleet-peer.js';

export interface FleetRollbackResult {
  mode: 'flip' | 'redeploy';
  steps: StepRecord[];
  slot: string;
  version: string;
  fromVersion: string | null;
  switchMs: number;
  from: string | null;
  to: string;
  nodes: { name: string; slot: string; kept: boolean }[];
  propagationMs: number;
}

export async function fleetRollback(agent: FleetAgent, op: 'flip' | 'rollback', actor: string): Promise<FleetRollbackResult> {
  const id = randomUUID();
  const { steps, emit } = stepRecorder();
  const lock = await agent.store.lock(agent.name);
  try {
    const { release: current, revision } = await agent.store.readRelease();
    if (!current) throw new SlotswapError('conflict', `the fleet has no release in etcd yet, so there is nothing to ${op} back to; deploy a release first (slotswap deploy <release>)`);
    const target = current.previous;
    if (!target) throw new SlotswapError('conflict', `the fleet's release ${current.version} has no earlier fleet release to ${op} back to; deploy the version you want instead`);
    const nodes = await agent.store.nodes();
    if (!nodes.some((n) => n.name === agent.name)) nodes.push(agent.record());
    const fromVersion = agent.orch.liveVersion();
    const from = agent.orch.store.data.live;
    emit({ type: 'step', id, op, step: 'lock', phase: 'end', at: new Date().toISOString(), ms: 0, detail: `fleet lock taken by ${agent.name}; back from ${current.version} to ${target.version} on ${nodes.length} node(s): ${nodes.map((n) => n.name).join(', ')}` });
    const request: PrepareRequest = { deployId: id, sha256: target.sha256, version: target.version, minCompatibleVersion: target.minCompatibleVersion, allowDowngrade: true, actor };
    const settled = await step(id, emit, 'prepare', async () => {
      const outcomes = await Promise.allSettled(nodes.map((n) => callPeer<PrepareResult>(n.advertiseUrl, agent.token, 'POST', '/api/fleet/prepare-back', request, FLEET_PREPARE_TIMEOUT_MS)));
      for (const o of outcomes) if (o.status === 'fulfilled') reportNodeSteps(id, emit, o.value, op);
      const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [`node ${nodes[i]!.name}: ${toSlotswapError(o.reason).message}`] : []));
      if (failed.length > 0) {
        await abortEverywhere(agent, nodes, id);
        throw new SlotswapError('operation_failed', `fleet ${op} back to ${target.version} failed on ${failed.join('; ')}; nothing was flipped, every node keeps serving ${current.version}`);
      }
      const results = outcomes.map((o) => (o as PromiseFulfilledResult<PrepareResult>).value);
      const kept = results.filter((r) => r.kept).length;
      return [results, `${results.length} node(s) ready to serve ${target.version} (${kept} kept the slot that still ran it, ${results.length - kept} redeployed its archive)`];
    }, op);
    // Going back again (a second flip) returns to the release this one replaces.
    const { next, mine, propagationMs } = await commitAndFollow(agent, { id, op, emit, nodes, settled, revision, current, sha256: target.sha256, previous: refOf(current) });
    const switchMs = agent.liveDeployId === next.deployId ? agent.switchMs : 0;
    return {
      mode: settled.every((r) => r.kept) ? 'flip' : 'redeploy',
      steps,
      slot: mine.slot,
      version: next.version,
      fromVersion,
      switchMs,
      from,
      to: mine.slot,
      nodes: settled.map((r) => ({ name: r.node, slot: r.slot, kept: r.kept === true })),
      propagationMs,
    };
  } finally {
    await lock.release();
  }
}

// The fleet deploy, run by the node the CLI called (the coordinator): etcd lock -> every node prepares the release in
// its idle slot -> ONE compare-revision transaction makes it the fleet's release -> every node follows the key.
// Any node failing before the transaction: nothing flips anywhere, every node stops its new slot.
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SlotswapError, toSlotswapError } from '../errors.js';
import { FLEET_FOLLOW_TIMEOUT_MS, FLEET_PREPARE_TIMEOUT_MS, FLEET_ETCD_CALL_TIMEOUT_MS } from '../defaults.js';
import { buildManifest } from '../ops/manifest.js';
import type { StepEvent } from '../ops/operation-events.js';
import type { StepRecord } from '../state/state-types.js';
import type { FleetAgent } from './fleet-agent.js';
import type { FleetRelease, FleetReleaseRef, NodeRecord } from './fleet-store.js';
import type { PrepareRequest, PrepareResult } from './fleet-node.js';
import { archivesDir } from './fleet-archives.js';
import { callPeer } from './fleet-peer.js';

export interface FleetDeployRequest {
  archive: string;
  sha256: string;
  version: string | null;
  minCompatibleVersion: string | null;
  allowDowngrade: boolean;
  actor: string;
}

export interface FleetDeployResult {
  id: string;
  version: string;
  minCompatibleVersion: string;
  slot: string;
  nodes: { name: string; slot: string }[];
  previous: { version: string } | null;
  /** From the committed transaction to the last node seen serving the release. */
  propagationMs: number;
}

type Emit = (event: StepEvent, commit?: boolean) => void;

/** Reports one fleet-level step to the CLI the way a local deploy's steps are reported. */
export async function step<T>(id: string, emit: Emit, name: string, run: () => Promise<[T, string]>, op = 'deploy'): Promise<T> {
  const base = { type: 'step' as const, id, op, step: name };
  emit({ ...base, phase: 'begin', at: new Date().toISOString() });
  const started = performance.now();
  try {
    const [value, detail] = await run();
    emit({ ...base, phase: 'end', at: new Date().toISOString(), ms: performance.now() - started, detail }, true);
    return value;
  } catch (err) {
    emit({ ...base, phase: 'fail', at: new Date().toISOString(), ms: performance.now() - started, detail: toSlotswapError(err).message }, true);
    throw err;
  }
}

export function reportNodeSteps(id: string, emit: Emit, result: PrepareResult, op = 'deploy'): void {
  for (const s of result.steps) emit({ type: 'step', id, op, step: `${result.node}: ${s.name}`, phase: s.ok ? 'end' : 'fail', at: new Date().toISOString(), ms: s.ms, ...(s.detail ? { detail: s.detail } : {}) }, true);
}

export async function abortEverywhere(agent: FleetAgent, nodes: NodeRecord[], deployId: string): Promise<void> {
  await Promise.all(nodes.map((n) => callPeer(n.advertiseUrl, agent.token, 'POST', '/api/fleet/abort', { deployId }, FLEET_PREPARE_TIMEOUT_MS).catch((err: unknown) => console.error(`slotswap: fleet: node ${n.name} could not stop its new slot: ${toSlotswapError(err).message}`))));
}

/** Waits until every node says it serves `deployId`; returns the nodes that did not in time, and the last switch time. */
export async function waitFollowed(agent: FleetAgent, nodes: NodeRecord[], release: FleetRelease): Promise<{ late: string[]; lastAt: number }> {
  const deployId = release.deployId;
  const until = Date.now() + FLEET_FOLLOW_TIMEOUT_MS;
  // Every node is handed the committed release at once (no etcd read on its side: its client may still be backing off
  // after an outage); the watch is the safety net for a node this call does not reach.
  await Promise.all(nodes.map((n) => callPeer(n.advertiseUrl, agent.token, 'POST', '/api/fleet/follow', { release }, FLEET_ETCD_CALL_TIMEOUT_MS).catch(() => null)));
  let pending = nodes;
  let lastAt = 0;
  while (pending.length > 0 && Date.now() < until) {
    const states = await Promise.all(pending.map((n) => callPeer<{ liveDeployId: string | null; followedAt: number | null }>(n.advertiseUrl, agent.token, 'GET', '/api/fleet/node', undefined, FLEET_ETCD_CALL_TIMEOUT_MS).catch(() => null)));
    for (const state of states) if (state?.liveDeployId === deployId) lastAt = Math.max(lastAt, state.followedAt ?? Date.now());
    pending = pending.filter((_, i) => states[i]?.liveDeployId !== deployId);
    if (pending.length > 0) await new Promise((r) => setTimeout(r, 20));
  }
  return { late: pending.map((n) => n.name), lastAt };
}

export async function fleetDeploy(agent: FleetAgent, request: FleetDeployRequest, emit: Emit): Promise<FleetDeployResult> {
  const id = randomUUID();
  // Taken before anything is written to the CLI: etcd away is exit 3, another fleet operation exit 4.
  const lock = await agent.store.lock(agent.name);
  const archive = path.join(archivesDir(agent.orch), `${request.sha256}.tgz`);
  agent.archivesInUse.add(request.sha256);
  try {
    const { release: current, revision } = await agent.store.readRelease();
    const nodes = await agent.store.nodes();
    if (!nodes.some((n) => n.name === agent.name)) nodes.push(agent.record());
    const settled = await prepareOnEveryNode(agent, { id, emit, nodes, request, archive, what: 'fleet deploy', nothing: 'nothing was flipped' });
    // The fleet's first release: the way back is what every node served before it, when they all served the same.
    const was = settled[0]?.was ?? null;
    const before = current ? refOf(current) : was && settled.every((r) => r.was?.sha256 === was.sha256) ? { deployId: 'before-the-fleet', ...was } : null;
    const { next, mine, propagationMs } = await commitAndFollow(agent, { id, op: 'deploy', emit, nodes, settled, revision, current, sha256: request.sha256, previous: before });
    return { id, version: next.version, minCompatibleVersion: next.minCompatibleVersion, slot: mine.slot, nodes: settled.map((r) => ({ name: r.node, slot: r.slot })), previous: current ? { version: current.version } : null, propagationMs };
  } finally {
    agent.archivesInUse.delete(request.sha256);
    await lock.release();
    await rm(request.archive, { force: true });
  }
}

/**
 * The archive kept as the fleet's copy, then every node places, starts and health-checks it in its idle slot at once;
 * any node failing (or `refuse` naming why a node cannot take it) stops the new slot on every node.
 */
export async function prepareOnEveryNode(
  agent: FleetAgent,
  plan: { id: string; emit: Emit; nodes: NodeRecord[]; request: FleetDeployRequest; archive: string; what: string; nothing: string; refuse?: (result: PrepareResult) => string | null },
): Promise<PrepareResult[]> {
  const { id, emit, nodes, request, archive } = plan;
  emit({ type: 'step', id, op: 'deploy', step: 'lock', phase: 'end', at: new Date().toISOString(), ms: 0, detail: `fleet lock taken by ${agent.name}; ${nodes.length} node(s): ${nodes.map((n) => n.name).join(', ')}` }, true);
  await mkdir(path.dirname(archive), { recursive: true });
  await rename(request.archive, archive);
  const prepare: PrepareRequest = { deployId: id, sha256: request.sha256, version: request.version, minCompatibleVersion: request.minCompatibleVersion, allowDowngrade: request.allowDowngrade, actor: request.actor };
  return step(id, emit, 'prepare', async () => {
    const outcomes = await Promise.allSettled(nodes.map((n) => callPeer<PrepareResult>(n.advertiseUrl, agent.token, 'POST', '/api/fleet/prepare', { ...prepare, from: agent.fleet.advertiseUrl }, FLEET_PREPARE_TIMEOUT_MS)));
    for (const o of outcomes) if (o.status === 'fulfilled') reportNodeSteps(id, emit, o.value);
    const failed = outcomes.flatMap((o, i) => {
      if (o.status === 'rejected') return [`node ${nodes[i]!.name}: ${toSlotswapError(o.reason).message}`];
      const refused = plan.refuse?.(o.value) ?? null;
      return refused === null ? [] : [`node ${nodes[i]!.name}: ${refused}`];
    });
    if (failed.length > 0) {
      await abortEverywhere(agent, nodes, id);
      const logTail = outcomes.flatMap((o) => (o.status === 'rejected' ? (toSlotswapError(o.reason).details?.logTail ?? []) : []));
      throw new SlotswapError('operation_failed', `${plan.what} failed on ${failed.join('; ')}; ${plan.nothing}, every node stopped its new slot`, logTail.length ? { logTail } : undefined);
    }
    const results = outcomes.map((o) => (o as PromiseFulfilledResult<PrepareResult>).value);
    return [results, `${results.length} node(s) healthy in their idle slot`];
  });
}

/** An operation's steps as the history records them, collected from its step events (begin events are not kept). */
export function stepRecorder(): { steps: StepRecord[]; emit: (event: StepEvent) => void } {
  const steps: StepRecord[] = [];
  const emit = (event: StepEvent) => {
    if (event.type === 'step' && event.phase !== 'begin') steps.push({ name: event.step, ms: event.ms ?? 0, ok: event.phase === 'end', ...(event.detail ? { detail: event.detail } : {}) });
  };
  return { steps, emit };
}

export function refOf(release: FleetRelease): FleetReleaseRef {
  return { deployId: release.deployId, version: release.version, sha256: release.sha256, minCompatibleVersion: release.minCompatibleVersion };
}

export interface CommitPlan {
  id: string;
  op: string;
  emit: Emit;
  nodes: NodeRecord[];
  settled: PrepareResult[];
  revision: string;
  current: FleetRelease | null;
  sha256: string;
  previous: FleetReleaseRef | null;
}

/** Every node prepared: ONE compare-revision transaction makes it the fleet's release, then every node follows. */
export async function commitAndFollow(agent: FleetAgent, plan: CommitPlan): Promise<{ next: FleetRelease; mine: PrepareResult; propagationMs: number }> {
  const { id, op, emit, nodes, settled, revision, current } = plan;
  const mine = settled.find((r) => r.node === agent.name) ?? settled[0]!;
  const releaseInfo = agent.orch.store.data.slots[mine.slot as 'a' | 'b'].release!;
  const next: FleetRelease = {
    deployId: id,
    version: mine.version,
    sha256: plan.sha256,
    minCompatibleVersion: mine.minCompatibleVersion,
    manifest: buildManifest(agent.orch.config, mine.slot, releaseInfo, agent.orch.store.data.notice),
    notice: agent.orch.store.data.notice,
    slots: Object.fromEntries(settled.map((r) => [r.node, r.slot])),
    archiveFrom: nodes.map((n) => n.advertiseUrl),
    coordinator: agent.name,
    at: new Date().toISOString(),
    previous: plan.previous,
  };
  const committedAt = await step(id, emit, 'commit', async () => {
    let ok: boolean;
    try {
      ok = await agent.store.commitRelease(next, revision);
    } catch (err) {
      await abortEverywhere(agent, nodes, id);
      throw err;
    }
    if (!ok) {
      await abortEverywhere(agent, nodes, id);
      throw new SlotswapError('conflict', `the fleet's release changed in etcd since this ${op} read it; nothing was flipped, retry the ${op}`);
    }
    return [Date.now(), `fleet release ${next.version} committed in one transaction (was ${current?.version ?? 'none'})`];
  }, op);
  const propagationMs = await step(id, emit, 'follow', async () => {
    const { late, lastAt } = await waitFollowed(agent, nodes, next);
    // Commit to the last node's switch, by the nodes' own clocks (one machine in the tests; NTP-close in a fleet).
    const ms = Math.max(0, lastAt - committedAt);
    if (late.length > 0) return [ms, `committed; not yet serving it after ${FLEET_FOLLOW_TIMEOUT_MS} ms: ${late.join(', ')} (they follow when they can)`];
    return [ms, `every node serves ${next.version}; the last switched ${ms} ms after the commit`];
  }, op);
  return { next, mine, propagationMs };
}

// slotswap deploy --canary W on a fleet node (the coordinator): etcd lock -> every node prepares the release in its
// idle slot (as the fleet deploy does) -> ONE compare-revision transaction writes the fleet's canary -> every node
// routes W % of new clients to its new slot. Weight changes are one transaction each; the steps run here.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { SlotswapError, toSlotswapError } from '../errors.js';
import { FLEET_PREPARE_TIMEOUT_MS, FLEET_SETTINGS_WRITE_ATTEMPTS } from '../defaults.js';
import type { ProgressiveOptions } from '../ops/canary.js';
import type { StepEvent } from '../ops/operation-events.js';
import type { FleetAgent } from './fleet-agent.js';
import type { NodeRecord } from './fleet-store.js';
import type { FleetDeployRequest } from './fleet-deploy.js';
import { abortEverywhere, prepareOnEveryNode, refOf, step } from './fleet-deploy.js';
import { archivesDir } from './fleet-archives.js';
import { callPeer } from './fleet-peer.js';
import { nextStepInMs, withWeight, type FleetCanary } from './fleet-canary-record.js';
import { followCanary } from './fleet-canary-node.js';
import { recordFleetOperation } from './fleet-history.js';

type Emit = (event: StepEvent, commit?: boolean) => void;

/** Refuses what a fleet canary does not do (yet): said, never silently ignored. Exit 2. */
export function checkFleetProgressive(p: ProgressiveOptions, wait: boolean): void {
  const refuse = (flag: string, why: string) => {
    throw new SlotswapError('bad_request', `${flag} is not fleet-wide yet: expected a fleet canary with --canary, --steps, --step-ms or --no-auto-promote only, got ${flag}; ${why}`);
  };
  if (p.watchMs !== null) refuse('--watch', 'deploy without it and watch the release yourself, or run it on a node outside the fleet');
  if (p.analysis.maxErrorRatePct !== null) refuse('--max-error-rate', "watch the canary's figures (slotswap canary status on each node) and abort by hand");
  if (p.analysis.maxP99Ms !== null) refuse('--max-p99-ms', "watch the canary's figures (slotswap canary status on each node) and abort by hand");
  if (wait) refuse('--wait', 'the deploy returns once the canary runs; follow it with slotswap status');
}

/** Tells every node the fleet's canary now (null: it ended); a node this does not reach follows it from its watch. */
export async function tellNodes(agent: FleetAgent, nodes: NodeRecord[], canary: FleetCanary | null, revision: string, deployId: string): Promise<string[]> {
  const answers = await Promise.all(
    nodes.map((n) =>
      n.name === agent.name
        ? followCanary(agent, canary, Number(revision)).then(() => null, (err: unknown) => `node ${n.name}: ${toSlotswapError(err).message}`)
        : callPeer(n.advertiseUrl, agent.token, 'POST', '/api/fleet/canary', { canary, revision, deployId }, FLEET_PREPARE_TIMEOUT_MS).then(() => null, (err: unknown) => `node ${n.name}: ${toSlotswapError(err).message}`),
    ),
  );
  return answers.filter((a): a is string => a !== null);
}

export async function registeredNodes(agent: FleetAgent): Promise<NodeRecord[]> {
  const nodes = await agent.store.nodes();
  if (!nodes.some((n) => n.name === agent.name)) nodes.push(agent.record());
  return nodes;
}

export interface FleetCanaryResult {
  id: string;
  version: string;
  slot: string;
  canary: { slot: string; version: string; weight: number; fromSlot: string; steps: number[]; stepMs: number | null; autoPromote: boolean };
  nodes: { name: string; slot: string }[];
}

export async function fleetCanaryDeploy(agent: FleetAgent, request: FleetDeployRequest, p: ProgressiveOptions, emit: Emit): Promise<FleetCanaryResult> {
  const id = randomUUID();
  const lock = await agent.store.lock(agent.name);
  const archive = path.join(archivesDir(agent.orch), `${request.sha256}.tgz`);
  agent.archivesInUse.add(request.sha256);
  let committed = false;
  try {
    const { release: current, revision } = await agent.store.readRelease();
    const { canary: running, revision: canaryRevision } = await agent.store.readCanary();
    if (running) throw new SlotswapError('conflict', `a fleet canary of ${running.version} runs (${running.weight} %); promote or abort it first (slotswap promote / slotswap abort)`);
    const nodes = await registeredNodes(agent);
    const settled = await prepareOnEveryNode(agent, {
      id,
      emit,
      nodes,
      request,
      archive,
      what: 'fleet canary deploy',
      nothing: 'nothing changed anywhere',
      refuse: (r) => (r.was ? null : 'no slot is live on it, so there is nothing to run a canary beside'),
    });
    const was = settled[0]!.was!;
    const now = new Date().toISOString();
    const weight = p.canary ?? p.steps[0]!;
    const canary: FleetCanary = {
      deployId: id,
      version: settled[0]!.version,
      sha256: request.sha256,
      minCompatibleVersion: settled[0]!.minCompatibleVersion,
      fromVersion: current?.version ?? was.version,
      weight,
      slots: Object.fromEntries(settled.map((r) => [r.node, r.slot])),
      archiveFrom: nodes.map((n) => n.advertiseUrl),
      coordinator: agent.name,
      startedAt: now,
      weightSince: now,
      steps: p.steps.filter((w) => w > weight),
      stepMs: p.stepMs,
      autoPromote: p.autoPromote,
      before: current ? refOf(current) : settled.every((r) => r.was?.sha256 === was.sha256) ? { deployId: 'before-the-fleet', ...was } : null,
    };
    const written = await step(id, emit, 'commit', async () => {
      const rev = await agent.store.commitCanary(canary, canaryRevision, revision).catch(async (err: unknown) => {
        await abortEverywhere(agent, nodes, id);
        throw err;
      });
      if (rev === null) {
        await abortEverywhere(agent, nodes, id);
        throw new SlotswapError('conflict', "the fleet's release or canary changed in etcd since this deploy read them; nothing changed anywhere, retry the deploy");
      }
      committed = true;
      return [rev, `fleet canary ${canary.version} at ${weight} % committed in one transaction (beside ${canary.fromVersion ?? 'none'})`];
    });
    await step(id, emit, 'canary', async () => {
      const late = await tellNodes(agent, nodes, canary, written, id);
      const detail = `every node sends ${weight} % of new clients to ${canary.version}`;
      return [null, late.length ? `${detail}, except (they follow from their watch): ${late.join('; ')}` : detail];
    });
    scheduleSteps(agent, canary);
    const mine = settled.find((r) => r.node === agent.name) ?? settled[0]!;
    const fromSlot = agent.orch.store.data.live ?? '-';
    return { id, version: canary.version, slot: mine.slot, canary: { slot: mine.slot, version: canary.version, weight, fromSlot, steps: canary.steps, stepMs: canary.stepMs, autoPromote: canary.autoPromote }, nodes: settled.map((r) => ({ name: r.node, slot: r.slot })) };
  } finally {
    if (!committed) agent.archivesInUse.delete(request.sha256);
    await lock.release();
    await rm(request.archive, { force: true });
  }
}

/** `canary set W` (rest null: the steps stop) or the next step: one compare-revision transaction, then every node. */
export async function fleetCanaryWeight(agent: FleetAgent, weight: number, rest: number[] | null = null): Promise<{ canary: FleetCanary; late: string[] }> {
  for (let attempt = 0; attempt < FLEET_SETTINGS_WRITE_ATTEMPTS; attempt++) {
    const { canary, revision: canaryRevision } = await agent.store.readCanary();
    if (!canary) throw new SlotswapError('conflict', 'no fleet canary runs; start one with slotswap deploy <release> --canary <percent>');
    const { revision } = await agent.store.readRelease();
    const next = withWeight(canary, weight, rest);
    const written = await agent.store.commitCanary(next, canaryRevision, revision);
    if (written === null) continue;
    const late = await tellNodes(agent, await registeredNodes(agent), next, written, next.deployId);
    if (rest === null) stopSteps(agent);
    else scheduleSteps(agent, next);
    return { canary: next, late };
  }
  throw new SlotswapError('conflict', `the fleet's canary in etcd changed ${FLEET_SETTINGS_WRITE_ATTEMPTS} times while this weight was written; retry`);
}

const timers = new WeakMap<FleetAgent, NodeJS.Timeout>();

export function stopSteps(agent: FleetAgent): void {
  clearTimeout(timers.get(agent));
  timers.delete(agent);
}

/**
 * The coordinator runs the canary's steps: the next weight after stepMs, then the promotion (autoPromote). A
 * coordinator that restarts picks them up again from the record (weightSince); one that is gone leaves them stopped.
 */
export function scheduleSteps(agent: FleetAgent, canary: FleetCanary): void {
  stopSteps(agent);
  const inMs = nextStepInMs(canary);
  if (inMs === null || canary.coordinator !== agent.name) return;
  const timer = setTimeout(() => {
    timers.delete(agent);
    const weight = canary.steps[0];
    const next =
      weight !== undefined
        ? recordFleetOperation(agent, 'canary', 'steps', () => fleetCanaryWeight(agent, weight, canary.steps.slice(1)), (r) => ({ toVersion: r.canary.version }), canary.version)
        : import('./fleet-canary-end.js').then((m) => recordFleetOperation(agent, 'promote', 'steps', () => m.fleetPromote(agent), (r) => ({ toVersion: r.version, slot: r.slot }), canary.version));
    void (next as Promise<unknown>).catch((err: unknown) => console.error(`slotswap: fleet: canary step: ${toSlotswapError(err).message}`));
  }, inMs);
  timer.unref();
  timers.set(agent, timer);
}

// A node's part of a fleet operation, run through its own operation runner: prepare (the local deploy up to health,
// in the idle slot), abort (stop that slot), and follow (make it live with the fleet's manifest, drain the old one).
import { performance } from 'node:perf_hooks';
import { SlotswapError, toSlotswapError } from '../errors.js';
import { FLEET_LOCAL_LOCK_RETRIES, FLEET_LOCAL_LOCK_RETRY_MS } from '../defaults.js';
import { otherSlot, type SlotName } from '../config/config-types.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { deploySteps, type DeployContext } from '../ops/deploy.js';
import { stopSlot } from '../ops/slot-lifecycle.js';
import { cancelDrain, drainSteps } from '../ops/drain.js';
import { writeManifestCopy, type FlipContext } from '../ops/flip.js';
import type { StepRecord } from '../state/state-types.js';
import type { FleetRelease } from './fleet-store.js';

export interface PrepareRequest {
  deployId: string;
  sha256: string;
  version: string | null;
  minCompatibleVersion: string | null;
  allowDowngrade: boolean;
  actor: string;
}

export interface PrepareResult {
  node: string;
  slot: SlotName;
  version: string;
  minCompatibleVersion: string;
  steps: StepRecord[];
  /** A flip back kept a slot that still ran the release (no redeploy). */
  kept?: boolean;
  /** What the node served before this prepare: the fleet's first release records it as the one to roll back to. */
  was?: { version: string; sha256: string; minCompatibleVersion: string } | null;
}

/** Places, starts and health-checks the release in the idle slot; the slot is left ready, not live. */
export async function prepareRelease(orch: Orchestrator, node: string, archive: string, request: PrepareRequest): Promise<PrepareResult> {
  const from = orch.store.data.live;
  const fromVersion = orch.liveVersion();
  const { checks, steps } = deploySteps(orch, false, null);
  const ctx: DeployContext = {
    request: { archive, sha256: request.sha256, version: request.version, minCompatibleVersion: request.minCompatibleVersion, allowDowngrade: request.allowDowngrade, actor: request.actor, op: 'fleet-prepare' },
    fromVersion,
    unpacked: null,
    release: null,
    placed: false,
    client: null,
    to: from ? otherSlot(from) : 'a',
    from,
    switchMs: 0,
    id: '',
    smoke: null,
    verdict: null,
  };
  const outcome = await orch.runner.run({
    op: 'fleet-prepare',
    actor: request.actor,
    slot: ctx.to,
    fromVersion,
    context: ctx,
    checks,
    // The flip is the fleet's: it happens when the fleet's release key says so (follow).
    steps: steps.filter((s) => s.name !== 'persist' && s.name !== 'flip'),
    toVersion: (c) => c.release?.version ?? c.unpacked?.release.version ?? null,
  });
  await outcome.done;
  return { node, slot: ctx.to, version: ctx.release!.version, minCompatibleVersion: ctx.release!.minCompatibleVersion, steps: outcome.entry.steps };
}

/**
 * A fleet flip back to `sha256`: the node's other slot still runs it (its drain is cancelled, so it stays up until
 * the commit), or it is redeployed from the archive this node kept. Neither: refused, naming what is missing.
 */
export async function prepareBack(orch: Orchestrator, node: string, request: PrepareRequest, localArchive: (sha256: string) => Promise<string | null>): Promise<PrepareResult> {
  const data = orch.store.data;
  const live = data.live;
  if (!live) throw new SlotswapError('conflict', 'no slot is live on it');
  if (data.slots[live].release?.sha256 === request.sha256) throw new SlotswapError('conflict', `it already serves ${request.version ?? request.sha256} in its live slot ${live}`);
  const other = otherSlot(live);
  const record = data.slots[other];
  const ups = orch.runtime.upstreams(other);
  if (record.release?.sha256 === request.sha256 && (record.state === 'draining' || record.state === 'ready') && ups.length > 0 && ups.every((u) => u.healthy)) {
    const outcome = await orch.runner.run({
      op: 'fleet-prepare',
      actor: request.actor,
      slot: other,
      fromVersion: orch.liveVersion(),
      context: {},
      steps: [{ name: 'keep', run: async () => `slot ${other} still runs ${(await cancelDrain(orch, other), record.release!.version)} (${record.state}): kept for the fleet's flip` }],
    });
    await outcome.done;
    return { node, slot: other, version: record.release.version, minCompatibleVersion: record.release.minCompatibleVersion, steps: outcome.entry.steps, kept: true };
  }
  const archive = await localArchive(request.sha256);
  if (!archive) throw new SlotswapError('conflict', `slot ${other} no longer runs ${request.version} (it is ${record.state}) and no archive of it is kept here (keepReleases); deploy ${request.version} from its folder instead`);
  return prepareRelease(orch, node, archive, { ...request, allowDowngrade: true });
}

/** Stops a prepared slot that did not become live (another node failed, or the commit did not happen). */
export async function abortPrepared(orch: Orchestrator, slot: SlotName, actor: string): Promise<string> {
  const state = orch.store.data.slots[slot].state;
  if (orch.store.data.live === slot) return `slot ${slot} is live: nothing to stop`;
  if (state === 'draining' && !orch.drains.has(slot)) {
    // A slot kept for a flip back that did not happen: it drains again and stops, as it would have.
    const outcome = await orch.runner.run({ op: 'fleet-abort', actor, slot, fromVersion: orch.liveVersion(), context: {}, steps: [], after: drainSteps(orch, slot) });
    void outcome.done;
    return `slot ${slot} drains again, then stops`;
  }
  if (state !== 'ready' && state !== 'starting') return `slot ${slot} is ${state}: nothing to stop`;
  const outcome = await orch.runner.run({
    op: 'fleet-abort',
    actor,
    slot,
    fromVersion: orch.liveVersion(),
    context: {},
    steps: [{ name: 'stop new', run: async () => `slot ${slot} ${(await stopSlot(orch, slot), 'stopped')}` }],
  });
  await outcome.done;
  return `slot ${slot} stopped`;
}

/**
 * Makes the prepared slot live with the fleet's manifest (one snapshot assignment); the old slot drains after.
 * The switch comes first, before any write of the state file (the runner's history entry, the live slot): on a fleet
 * etcd's release key is the record of what is live, and a node that crashes before its file says so reads that key
 * when it starts and brings itself onto the release again (docs/fleet.md, "Propagation").
 */
export async function followRelease(orch: Orchestrator, release: FleetRelease, to: SlotName, actor: string, onSwitched: () => void = () => {}): Promise<number> {
  const live = orch.store.data.live;
  const ctx: FlipContext = { to, from: live && live !== to ? live : null, switchMs: 0 };
  // The state file's write of the flip, started at the switch and awaited by step "persist" (never left unhandled).
  let persisted: Promise<unknown> = Promise.resolve(null);
  let manifestBody: Buffer | undefined;
  await orch.runner.run({
    op: 'fleet-flip',
    actor,
    slot: to,
    fromVersion: orch.liveVersion(),
    context: ctx,
    // Under the lock and before the runner writes its history entry: nothing on the disk delays the switch.
    checks: [
      {
        name: 'check',
        run: () => {
          const state = orch.store.data.slots[to].state;
          const ups = orch.runtime.upstreams(to);
          if ((state !== 'ready' && state !== 'draining') || ups.length === 0) throw new SlotswapError('conflict', `slot ${to} is ${state} and cannot take the fleet's release ${release.version}`);
          return `slot ${to} is ${state} with ${ups.length} instance(s)`;
        },
      },
      { name: 'keep', run: async () => void (await cancelDrain(orch, to)) },
      {
        name: 'flip',
        run: async () => {
          const started = performance.now();
          // store.flip changes the in-memory state at once, then writes the file: the snapshot is built from the former.
          const write = orch.store.flip(to, release.manifest);
          persisted = write.then(() => null, (err: unknown) => err);
          if (orch.store.data.live !== to) throw (await persisted) ?? new SlotswapError('internal', `slot ${to} was not made live`);
          const snapshot = orch.publish(`fleet flip to slot ${to}`);
          ctx.switchMs = performance.now() - started;
          manifestBody = snapshot.manifest?.body;
          onSwitched();
          return `slot ${to} live (switch ${ctx.switchMs.toFixed(3)} ms)`;
        },
        // The state file could not record it (the store took the change back): the proxy serves what the state says.
        undo: { name: 'switch back', run: () => `${orch.publish('fleet flip not recorded').live?.name ?? 'no slot'} serves again` },
      },
    ],
    steps: [
      {
        name: 'persist',
        run: async () => {
          const failed = await persisted;
          if (failed) throw failed;
          await writeManifestCopy(orch, manifestBody);
          return `slot ${to} recorded as live (fleet release ${release.deployId})`;
        },
      },
    ],
    after: ctx.from ? drainSteps(orch, ctx.from) : [],
    toVersion: () => release.version,
  });
  return ctx.switchMs;
}

/** The local runner refuses while another local operation runs (a drain's stop, an abort): try again briefly. */
export async function withLocalLock<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (toSlotswapError(err).details?.running === undefined || attempt >= FLEET_LOCAL_LOCK_RETRIES) throw err;
      await new Promise((r) => setTimeout(r, FLEET_LOCAL_LOCK_RETRY_MS));
    }
  }
}

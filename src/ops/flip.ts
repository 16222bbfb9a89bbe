// The flip: persist the new live slot and manifest, then swap the proxy's snapshot in one assignment.
import { performance } from 'node:perf_hooks';
import { SlotswapError, toSlotswapError } from '../errors.js';
import { otherSlot, type SlotName } from '../config/config-types.js';
import type { HeldLock } from './operation-lock.js';
import type { Orchestrator } from './orchestrator.js';
import { OperationRun, runStep } from './operation-run.js';
import { newHistoryEntry, type HistoryEntry } from '../state/state-types.js';
import { buildManifest, writeManifestFile } from './manifest.js';
import { cancelDrain, startDrain } from './drain.js';

export interface SwitchResult {
  from: SlotName | null;
  to: SlotName;
  /** Time of the switch itself (snapshot built and assigned), in milliseconds. */
  switchMs: number;
}

/**
 * Persist, then switch: step "persist" records the new live slot and manifest (a crash right after leaves a state
 * naming the slot that is really live); step "flip" is the switch itself, one snapshot assignment.
 */
export async function switchLive(orch: Orchestrator, to: SlotName, run: OperationRun | null = null): Promise<SwitchResult> {
  const data = orch.store.data;
  const release = data.slots[to].release;
  if (!release) throw new SlotswapError('conflict', `slot ${to} has no release to make live`);
  const from = data.live;
  const manifest = buildManifest(orch.config, to, release, data.notice);
  const persist = () => orch.store.flip(to, manifest);
  await runStep(run, 'persist', persist, () => `slot ${to} recorded as live`);
  const flip = async () => {
    const started = performance.now();
    const snapshot = orch.publish(`flip to slot ${to}`);
    return { snapshot, switchMs: performance.now() - started };
  };
  const { snapshot, switchMs } = await runStep(run, 'flip', flip, (r) => `slot ${to} live (switch ${r.switchMs.toFixed(3)} ms)`);
  if (snapshot.manifest) await writeManifestFile(orch.config, snapshot.manifest.body);
  return { from, to, switchMs };
}

/**
 * Makes a slot that still runs live again (manual flip, rollback within the drain): its drain is cancelled, the
 * flip recorded under `op`, and the slot that was live drains in turn.
 */
export async function flipToRunningSlot(orch: Orchestrator, to: SlotName, op: string, actor: string): Promise<SwitchResult & { entry: HistoryEntry }> {
  const entry = newHistoryEntry(op, actor, to, orch.liveVersion());
  await orch.store.beginOperation(entry);
  const run = new OperationRun(op, entry, orch.events);
  try {
    await cancelDrain(orch, to);
    // The cancelled drain ends its deploy's history entry: let that write land first, so the flip's own write does not queue behind it.
    await orch.store.save();
    const result = await switchLive(orch, to, run);
    await orch.endOperation(entry, { outcome: 'ok', toVersion: orch.store.data.slots[to].release?.version ?? null });
    if (result.from) startDrain(orch, result.from, null);
    return { ...result, entry };
  } catch (err) {
    await orch.endOperation(entry, { outcome: 'failed', error: toSlotswapError(err).message });
    throw err;
  }
}

/** Manual flip: makes the other slot live if it still runs and is healthy; the old live slot drains. */
export async function flipOperation(orch: Orchestrator, lock: HeldLock, actor: string): Promise<SwitchResult> {
  try {
    const data = orch.store.data;
    if (!data.live) throw new SlotswapError('conflict', 'no slot is live yet; deploy a release first');
    const to = otherSlot(data.live);
    const state = data.slots[to].state;
    const ups = orch.upstreams[to];
    if ((state !== 'draining' && state !== 'ready') || ups.length === 0 || ups.some((up) => !up.healthy)) {
      throw new SlotswapError('conflict', `slot ${to} is ${state} and cannot take traffic; only a running, healthy slot can be flipped to (deploy instead, or rollback)`);
    }
    return await flipToRunningSlot(orch, to, 'flip', actor);
  } finally {
    lock.release();
  }
}

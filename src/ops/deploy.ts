// The blue/green deploy, read as the runbook: place -> start -> health -> flip, then drain -> stop in the background.
import { SlotswapError, toSlotswapError } from '../errors.js';
import { otherSlot, type SlotName } from '../config/config-types.js';
import { isIdle } from '../state/slot-states.js';
import type { HeldLock } from './operation-lock.js';
import type { Orchestrator } from './orchestrator.js';
import { OperationRun } from './operation-run.js';
import { commitRelease, unpackRelease } from './place-release.js';
import { newHistoryEntry } from '../state/state-types.js';
import { awaitSlotHealthy, spawnSlot } from './slot-lifecycle.js';
import { switchLive } from './flip.js';
import { startDrain } from './drain.js';

export interface DeployRequest {
  archive: string;
  sha256: string;
  version: string | null;
  minCompatibleVersion: string | null;
  allowDowngrade: boolean;
  actor: string;
  /** How the history names it: "deploy", or "rollback" when a rollback redeploys the previous release. */
  op?: string;
}

export interface DeployResult {
  id: string;
  slot: SlotName;
  version: string;
  minCompatibleVersion: string;
  previous: { slot: SlotName; version: string | null } | null;
  switchMs: number;
  /** In-place deploys only: how long requests were held and how many waited. */
  heldMs?: number;
  queued?: number;
  /** Resolves when the old slot has drained and stopped (at once when there was none). */
  drained: Promise<void>;
}

function targetSlot(orch: Orchestrator): SlotName {
  const data = orch.store.data;
  const slot = data.live ? otherSlot(data.live) : 'a';
  const state = data.slots[slot].state;
  if (!isIdle(state)) {
    const hint = state === 'draining' ? 'wait for it to stop (slotswap deploy --wait-drain, or slotswap drain --now)' : 'wait for it to finish';
    throw new SlotswapError('conflict', `slot ${slot} is still ${state}, so there is no idle slot to deploy to; ${hint}`, { slot, state });
  }
  return slot;
}

/** Runs a deploy under a lock the caller took; the lock is released once the flip is done (or the deploy failed). */
export async function deploy(orch: Orchestrator, request: DeployRequest, lock: HeldLock, onEntry?: (id: string) => void): Promise<DeployResult> {
  try {
    const slot = targetSlot(orch);
    const from = orch.store.data.live;
    const fromVersion = orch.liveVersion();
    const op = request.op ?? 'deploy';
    const entry = newHistoryEntry(op, request.actor, slot, fromVersion);
    onEntry?.(entry.id);
    const run = new OperationRun(op, entry, orch.events);
    let placed = false;
    try {
      const input = { ...request, liveVersion: fromVersion };
      const release = await run.step(
        'place',
        async () => {
          const unpacked = await unpackRelease(orch.config, slot, input);
          // Recorded only once the release passed the gate: a refused deploy leaves the state as it was.
          await orch.store.beginOperation(entry);
          return commitRelease(orch.config, slot, unpacked, input);
        },
        (r) => `${r.name} ${r.version} (min ${r.minCompatibleVersion}) in slot ${slot}`,
      );
      entry.toVersion = release.version;
      await orch.store.assignRelease(slot, release);
      placed = true;
      orch.publish(`slot ${slot} starting ${release.version}`);
      await run.step('start', () => spawnSlot(orch, slot, release), (pids) => `${pids.length} instance(s): pid ${pids.join(', ')}`);
      await run.step('health', () => awaitSlotHealthy(orch, slot, release), () => `${orch.upstreams[slot].length} instance(s) healthy`);
      await orch.store.setSlotState(slot, 'ready');
      const flipped = await switchLive(orch, slot, run);
      lock.release();
      const drained = (from ? startDrain(orch, from, run).done : Promise.resolve()).then(
        () => orch.endOperation(entry, { outcome: 'ok' }),
        (err: unknown) => orch.endOperation(entry, { outcome: 'failed', error: toSlotswapError(err).message }),
      );
      return {
        id: entry.id,
        slot,
        version: release.version,
        minCompatibleVersion: release.minCompatibleVersion,
        previous: from ? { slot: from, version: fromVersion } : null,
        switchMs: flipped.switchMs,
        drained,
      };
    } catch (err) {
      if (placed) {
        await orch.supervisor.stop(slot, orch.config.drain.stopTimeoutMs);
        for (const up of orch.upstreams[slot]) up.destroy();
        orch.upstreams[slot] = [];
        const state = orch.store.data.slots[slot].state;
        if (state === 'starting' || state === 'stopping') await orch.store.setSlotState(slot, 'failed');
        else if (state === 'ready') {
          await orch.store.setSlotState(slot, 'stopping');
          await orch.store.setSlotState(slot, 'stopped');
        }
        orch.publish(`deploy to slot ${slot} failed`);
      }
      const error = toSlotswapError(err);
      const logTail = error.details?.logTail;
      await orch.endOperation(entry, { outcome: 'failed', error: error.message + (Array.isArray(logTail) && logTail.length ? `\n${logTail.join('\n')}` : '') });
      throw err;
    }
  } finally {
    lock.release();
  }
}

// deploy --in-place: for apps that cannot run twice side by side, replace the live slot's release under a hold.
import { rename, rm } from 'node:fs/promises';
import { SlotswapError, toSlotswapError } from '../errors.js';
import { newHistoryEntry } from '../state/state-types.js';
import type { HeldLock } from './operation-lock.js';
import type { Orchestrator } from './orchestrator.js';
import { OperationRun } from './operation-run.js';
import { archiveRelease, unpackRelease } from './place-release.js';
import { replaceInPlace } from './replace-in-place.js';
import type { DeployRequest, DeployResult } from './deploy.js';

export async function deployInPlace(orch: Orchestrator, request: DeployRequest, lock: HeldLock, onEntry?: (id: string) => void): Promise<DeployResult> {
  try {
    const live = orch.store.data.live;
    const previous = live ? orch.store.data.slots[live].release : null;
    if (!live || !previous) throw new SlotswapError('conflict', 'nothing is live, so there is nothing to replace in place; deploy without --in-place first');
    const op = request.op ?? 'deploy-in-place';
    const entry = newHistoryEntry(op, request.actor, live, previous.version);
    onEntry?.(entry.id);
    const run = new OperationRun(op, entry, orch.events);
    const input = { ...request, liveVersion: previous.version };
    try {
      const unpacked = await run.step(
        'place',
        async () => {
          const result = await unpackRelease(orch.config, live, input);
          await orch.store.beginOperation(entry);
          return result;
        },
        (u) => `${u.release.name} ${u.release.version} unpacked beside slot ${live}`,
      );
      entry.toVersion = unpacked.release.version;
      const slotDir = orch.config.slots[live].dir;
      const previousDir = `${slotDir}.previous`;
      const result = await replaceInPlace(orch, run, {
        slot: live,
        reason: 'deploy --in-place',
        previous,
        swap: async () => {
          await rm(previousDir, { recursive: true, force: true });
          await rename(slotDir, previousDir);
          await rename(unpacked.incoming, slotDir);
          return { ...unpacked.release, archive: await archiveRelease(orch.config, input, unpacked.release) };
        },
        unswap: async () => {
          const rejected = `${slotDir}.rejected`;
          await rm(rejected, { recursive: true, force: true });
          await rename(slotDir, rejected);
          await rename(previousDir, slotDir);
          return rejected;
        },
      });
      await rm(previousDir, { recursive: true, force: true });
      await orch.endOperation(entry, { outcome: 'ok' });
      return {
        id: entry.id,
        slot: live,
        version: result.release.version,
        minCompatibleVersion: result.release.minCompatibleVersion,
        previous: { slot: live, version: previous.version },
        switchMs: 0,
        heldMs: result.heldMs,
        queued: result.queued,
        drained: Promise.resolve(),
      };
    } catch (err) {
      await orch.endOperation(entry, { outcome: 'failed', error: toSlotswapError(err).message });
      throw err;
    }
  } finally {
    lock.release();
  }
}

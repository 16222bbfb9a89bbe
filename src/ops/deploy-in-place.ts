// deploy --in-place: for apps that cannot run twice side by side, replace the live slot's release under a hold.
// The live folder waits as <slot>.previous until the new release is healthy and recorded.
import { rename, rm } from 'node:fs/promises';
import { SlotswapError } from '../errors.js';
import type { Orchestrator } from './orchestrator.js';
import type { Step } from './operation-runner.js';
import { archiveRelease, unpackRelease, type UnpackedRelease } from './place-release.js';
import { replacementPlan, type ReplaceContext } from './replace-in-place.js';
import type { DeployRequest, DeployResult } from './deploy.js';
import { crashPoint } from './crash-points.js';
import { checkReleaseName } from '../release/release-check.js';
import { exists } from './file-exists.js';

interface InPlaceContext extends ReplaceContext {
  unpacked: UnpackedRelease | null;
}

/** The folders of an in-place swap: the live one kept aside, and the refused one kept for inspection. */
export function slotDirs(slotDir: string) {
  return { keptAs: `${slotDir}.previous`, rejected: `${slotDir}.rejected` };
}

export async function deployInPlace(orch: Orchestrator, request: DeployRequest, onEntry?: (id: string) => void): Promise<DeployResult> {
  const live = orch.store.data.live;
  const previous = live ? orch.store.data.slots[live].release : null;
  if (!live || !previous) throw new SlotswapError('conflict', 'nothing is live, so there is nothing to replace in place; deploy without --in-place first');
  const op = request.op ?? 'deploy-in-place';
  const slotDir = orch.config.slots[live].dir;
  const { keptAs, rejected } = slotDirs(slotDir);
  const input = { ...request, liveVersion: previous.version };
  const ctx: InPlaceContext = { slot: live, previous, next: null, final: null, heldMs: 0, queued: 0, startupMs: 0, rejected: null, unpacked: null };
  const check: Step<InPlaceContext> = {
    name: 'check',
    run: async (c) => {
      c.unpacked = await unpackRelease(orch.config, live, input);
      // A rollback returns to a release that was live once: its name is not refused now.
      if (op !== 'rollback') checkReleaseName({ name: c.unpacked.release.name, app: orch.config.app, bootstrap: null });
      return `${c.unpacked.release.name} ${c.unpacked.release.version} unpacked beside slot ${live}`;
    },
    undo: {
      name: 'clean up',
      run: async (c) => {
        if (c.unpacked) await rm(c.unpacked.incoming, { recursive: true, force: true });
      },
    },
  };
  const plan = replacementPlan(
    orch,
    {
      reason: 'deploy --in-place',
      remembersReplaced: true,
      journal: (c) => ({ kind: 'replace-dir', slot: live, slotDir, keptAs, incoming: c.unpacked!.incoming, previousSha256: previous.sha256 }),
      swap: async (c) => {
        await rm(keptAs, { recursive: true, force: true });
        await rename(slotDir, keptAs);
        crashPoint(op, 'swap:between-renames');
        await rename(c.unpacked!.incoming, slotDir);
        return { ...c.unpacked!.release, archive: await archiveRelease(orch.config, input, c.unpacked!.release, orch.store.data.liveReleases ?? []) };
      },
      unswap: async () => {
        if (!(await exists(keptAs))) return null;
        await rm(rejected, { recursive: true, force: true });
        if (await exists(slotDir)) await rename(slotDir, rejected);
        await rename(keptAs, slotDir);
        return rejected;
      },
      settle: async () => {
        await rm(keptAs, { recursive: true, force: true });
      },
    },
    { op, lockName: 'deploy --in-place', actor: request.actor, slot: live, fromVersion: previous.version, context: ctx, checks: [check] },
  );
  const outcome = await orch.runner.run(plan, onEntry);
  const release = ctx.final!;
  return {
    id: outcome.id,
    slot: live,
    version: release.version,
    minCompatibleVersion: release.minCompatibleVersion,
    previous: { slot: live, version: previous.version },
    switchMs: 0,
    heldMs: ctx.heldMs,
    queued: ctx.queued,
    drained: Promise.resolve(),
  };
}

// Rollback: an instant flip back while the previous slot still runs; otherwise a redeploy of its archived release
// (in place, when the live release itself came in place).
import { copyFile, stat } from 'node:fs/promises';
import { SlotswapError } from '../errors.js';
import { otherSlot } from '../config/config-types.js';
import type { ReleaseInfo, StepRecord } from '../state/state-types.js';
import type { HeldLock } from './operation-lock.js';
import type { Orchestrator } from './orchestrator.js';
import { flipToRunningSlot } from './flip.js';
import { deploy, type DeployRequest } from './deploy.js';
import { deployInPlace } from './deploy-in-place.js';
import { HOTSWAP_SLOT, updateExecutable } from './hotswap.js';
import { sha256File } from '../release/sha256-file.js';

export interface RollbackResult {
  mode: 'flip' | 'redeploy' | 'in-place' | 'hotswap';
  /** The steps as the history recorded them, for the CLI to print like a deploy's. */
  steps: StepRecord[];
  slot: string;
  version: string;
  fromVersion: string | null;
  switchMs: number | null;
}

function stepsOf(orch: Orchestrator, id: string): StepRecord[] {
  return orch.store.data.history.find((h) => h.id === id)?.steps ?? [];
}

async function flipBack(orch: Orchestrator, actor: string): Promise<RollbackResult> {
  const previous = otherSlot(orch.store.data.live!);
  const { entry, switchMs } = await flipToRunningSlot(orch, previous, 'rollback', actor);
  return { mode: 'flip', slot: previous, version: entry.toVersion ?? '', fromVersion: entry.fromVersion, switchMs, steps: entry.steps };
}

/** The kept archive of a release, checked to be the very file that was deployed. */
async function verifiedArchive(release: ReleaseInfo): Promise<string> {
  if (!release.archive) throw new SlotswapError('conflict', `the previous release ${release.version} has no kept archive; deploy it again from its folder`);
  try {
    await stat(release.archive);
  } catch {
    throw new SlotswapError('conflict', `the archive of ${release.version} (${release.archive}) is gone (keepReleases); deploy it again from its folder`);
  }
  // A kept archive that changed on disk is not the release that ran: refuse rather than deploy something else.
  const actual = await sha256File(release.archive);
  if (actual !== release.sha256) {
    throw new SlotswapError('conflict', `the archive of ${release.version} (${release.archive}) has sha256 ${actual}, not the ${release.sha256} that was deployed; deploy that version again from its folder`);
  }
  return release.archive;
}

function redeployRequest(release: ReleaseInfo, archive: string, actor: string): DeployRequest {
  return { archive, sha256: release.sha256, version: release.version, minCompatibleVersion: release.minCompatibleVersion, allowDowngrade: true, actor, op: 'rollback' };
}

async function redeployPrevious(orch: Orchestrator, lock: HeldLock, actor: string): Promise<RollbackResult> {
  const live = orch.store.data.live!;
  const previous = orch.store.data.slots[otherSlot(live)].release;
  if (!previous) throw new SlotswapError('conflict', 'there is no previous release to roll back to; deploy the version you want instead');
  const archive = await verifiedArchive(previous);
  const fromVersion = orch.liveVersion();
  const result = await deploy(orch, redeployRequest(previous, archive, actor), lock);
  return { mode: 'redeploy', slot: result.slot, version: result.version, fromVersion, switchMs: result.switchMs, steps: stepsOf(orch, result.id) };
}

/** After deploy --in-place the previous release is the one it replaced: put it back the same way, under a hold. */
async function replaceBack(orch: Orchestrator, lock: HeldLock, actor: string, replaced: ReleaseInfo): Promise<RollbackResult> {
  const archive = await verifiedArchive(replaced);
  const fromVersion = orch.liveVersion();
  const result = await deployInPlace(orch, redeployRequest(replaced, archive, actor), lock);
  return { mode: 'in-place', slot: result.slot, version: result.version, fromVersion, switchMs: null, steps: stepsOf(orch, result.id) };
}

/** Hotswap mode keeps the previous executable as <exeFile>.bak: swap it back in like any update. */
async function hotswapBack(orch: Orchestrator, lock: HeldLock, actor: string): Promise<RollbackResult> {
  const { exeFile, updateFile } = orch.config.hotswap;
  const backup = `${exeFile}.bak`;
  try {
    await stat(backup);
  } catch {
    throw new SlotswapError('conflict', `there is no previous executable (${backup}) to roll back to`);
  }
  const fromVersion = orch.liveVersion();
  await copyFile(backup, updateFile);
  let id = '';
  const result = await updateExecutable(orch, lock, actor, 'rollback', (entryId) => (id = entryId));
  return { mode: 'hotswap', slot: HOTSWAP_SLOT, version: result.version, fromVersion, switchMs: null, steps: stepsOf(orch, id) };
}

export async function rollbackOperation(orch: Orchestrator, lock: HeldLock, actor: string): Promise<RollbackResult> {
  try {
    if (orch.config.mode === 'hotswap') return await hotswapBack(orch, lock, actor);
    const live = orch.store.data.live;
    if (!live) throw new SlotswapError('conflict', 'nothing is live; there is nothing to roll back');
    const replaced = orch.store.data.slots[live].replaced;
    if (replaced) return await replaceBack(orch, lock, actor, replaced);
    const previous = otherSlot(live);
    const state = orch.store.data.slots[previous].state;
    const ups = orch.upstreams[previous];
    if (state === 'draining' && ups.length > 0 && ups.every((up) => up.healthy)) return await flipBack(orch, actor);
    if (state === 'stopping') throw new SlotswapError('conflict', `slot ${previous} is stopping right now; try the rollback again in a moment`);
    return await redeployPrevious(orch, lock, actor);
  } finally {
    lock.release();
  }
}

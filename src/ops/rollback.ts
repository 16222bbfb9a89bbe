// Rollback: an instant flip back while the previous slot still runs; otherwise a redeploy of its archived release.
import { copyFile, stat } from 'node:fs/promises';
import { SlotswapError } from '../errors.js';
import { otherSlot } from '../config/config-types.js';
import type { StepRecord } from '../state/state-types.js';
import type { HeldLock } from './operation-lock.js';
import type { Orchestrator } from './orchestrator.js';
import { flipToRunningSlot } from './flip.js';
import { deploy } from './deploy.js';
import { sha256File, updateExecutable } from './hotswap.js';

export interface RollbackResult {
  mode: 'flip' | 'redeploy' | 'hotswap';
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

async function redeployPrevious(orch: Orchestrator, lock: HeldLock, actor: string): Promise<RollbackResult> {
  const live = orch.store.data.live!;
  const previous = orch.store.data.slots[otherSlot(live)].release;
  if (!previous) throw new SlotswapError('conflict', 'there is no previous release to roll back to; deploy the version you want instead');
  if (!previous.archive) throw new SlotswapError('conflict', `the previous release ${previous.version} has no kept archive; deploy it again from its folder`);
  try {
    await stat(previous.archive);
  } catch {
    throw new SlotswapError('conflict', `the archive of ${previous.version} (${previous.archive}) is gone (keepReleases); deploy it again from its folder`);
  }
  // A kept archive that changed on disk is not the release that ran: refuse rather than deploy something else.
  const actual = await sha256File(previous.archive);
  if (actual !== previous.sha256) {
    throw new SlotswapError('conflict', `the archive of ${previous.version} (${previous.archive}) has sha256 ${actual}, not the ${previous.sha256} that was deployed; deploy that version again from its folder`);
  }
  const fromVersion = orch.liveVersion();
  const result = await deploy(
    orch,
    { archive: previous.archive, sha256: previous.sha256, version: previous.version, minCompatibleVersion: previous.minCompatibleVersion, allowDowngrade: true, actor, op: 'rollback' },
    lock,
  );
  return { mode: 'redeploy', slot: result.slot, version: result.version, fromVersion, switchMs: result.switchMs, steps: stepsOf(orch, result.id) };
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
  const result = await updateExecutable(orch, lock, actor, 'rollback');
  const entry = orch.store.data.history.at(-1);
  return { mode: 'hotswap', slot: 'a', version: result.version, fromVersion, switchMs: null, steps: entry?.op === 'rollback' ? entry.steps : [] };
}

export async function rollbackOperation(orch: Orchestrator, lock: HeldLock, actor: string): Promise<RollbackResult> {
  try {
    if (orch.config.mode === 'hotswap') return await hotswapBack(orch, lock, actor);
    const live = orch.store.data.live;
    if (!live) throw new SlotswapError('conflict', 'nothing is live; there is nothing to roll back');
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

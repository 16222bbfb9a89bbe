// Rollback: back to the last release that was live before the current one (or `--to <version>`, a kept archive):
// an instant flip while its slot still runs, otherwise a redeploy of its archive (in place when the live release
// itself came in place). A release that failed or was only placed is never "previous".
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { SlotswapError } from '../errors.js';
import { otherSlot } from '../config/config-types.js';
import type { ReleaseInfo, StepRecord } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import { flipToRunningSlot } from './flip.js';
import { deploy, type DeployRequest } from './deploy.js';
import { deployInPlace } from './deploy-in-place.js';
import { HOTSWAP_SLOT, exeFiles, updateExecutable } from './hotswap.js';
import { sha256File } from '../release/sha256-file.js';
import { exists } from './file-exists.js';

export interface RollbackResult {
  mode: 'flip' | 'redeploy' | 'in-place' | 'hotswap';
  /** The steps as the history recorded them, for the CLI to print like a deploy's. */
  steps: StepRecord[];
  slot: string;
  version: string;
  fromVersion: string | null;
  switchMs: number | null;
}

export interface RollbackRequest {
  actor: string;
  /** A version to return to instead of the previous live one; it must have a kept archive. */
  to: string | null;
}

const sameRelease = (x: ReleaseInfo | null | undefined, y: ReleaseInfo | null | undefined) => !!x && !!y && x.sha256 === y.sha256 && x.version === y.version;

function stepsOf(orch: Orchestrator, id: string): StepRecord[] {
  return orch.store.data.history.find((h) => h.id === id)?.steps ?? [];
}

/** The last release that was live before the current one; older state files fall back to the other slot's. */
export function previousLiveRelease(orch: Orchestrator): ReleaseInfo | null {
  const data = orch.store.data;
  const current = data.live ? data.slots[data.live].release : null;
  const walked = data.liveReleases ?? [];
  for (let i = walked.length - 1; i >= 0; i--) if (!sameRelease(walked[i], current)) return walked[i]!;
  if (walked.length > 0 || !data.live) return null;
  const other = data.slots[otherSlot(data.live)];
  return other.state === 'failed' ? null : other.release;
}

/** `--to <version>`: the newest live release of that version, else a kept archive named for it. */
async function releaseNamed(orch: Orchestrator, version: string): Promise<ReleaseInfo | { archiveOnly: string; version: string }> {
  if (!semver.valid(version)) throw new SlotswapError('bad_request', `--to: expected a version like 1.2.0, got ${JSON.stringify(version.slice(0, 40))}`);
  const walked = orch.store.data.liveReleases ?? [];
  for (let i = walked.length - 1; i >= 0; i--) if (walked[i]!.version === version) return walked[i]!;
  const prefix = `${orch.config.app}-${version}-`;
  const files = await readdir(orch.config.releasesDir).catch(() => [] as string[]);
  const file = files.find((f) => f.startsWith(prefix) && f.endsWith('.tgz'));
  if (file) return { archiveOnly: path.join(orch.config.releasesDir, file), version };
  const kept = files.filter((f) => f.endsWith('.tgz')).map((f) => f.slice(orch.config.app.length + 1).replace(/-[0-9a-f]{12}\.tgz$/, ''));
  throw new SlotswapError('not_found', `no kept archive of version ${version}; kept: ${kept.join(', ') || 'none'}; deploy that version from its folder instead`, { version });
}

/** The kept archive of a release, checked to be the very file that was deployed. */
async function verifiedArchive(release: ReleaseInfo): Promise<string> {
  if (!release.archive) throw new SlotswapError('conflict', `the previous release ${release.version} has no kept archive; deploy it again from its folder`);
  if (!(await exists(release.archive))) throw new SlotswapError('conflict', `the archive of ${release.version} (${release.archive}) is gone (keepReleases); deploy it again from its folder`);
  // A kept archive that changed on disk is not the release that ran: refuse rather than deploy something else.
  const actual = await sha256File(release.archive);
  if (actual !== release.sha256) {
    throw new SlotswapError('conflict', `the archive of ${release.version} (${release.archive}) has sha256 ${actual}, not the ${release.sha256} that was deployed; deploy that version again from its folder`);
  }
  return release.archive;
}

async function redeployRequest(target: ReleaseInfo | { archiveOnly: string; version: string }, actor: string): Promise<DeployRequest> {
  if ('archiveOnly' in target) {
    return { archive: target.archiveOnly, sha256: await sha256File(target.archiveOnly), version: target.version, minCompatibleVersion: null, allowDowngrade: true, actor, op: 'rollback' };
  }
  const archive = await verifiedArchive(target);
  return { archive, sha256: target.sha256, version: target.version, minCompatibleVersion: target.minCompatibleVersion, allowDowngrade: true, actor, op: 'rollback' };
}

/** Hotswap mode keeps the previous executable as <exeFile>.bak: swap it back in like any update. */
async function hotswapBack(orch: Orchestrator, actor: string): Promise<RollbackResult> {
  const { exeFile, updateFile } = orch.config.hotswap;
  const { backup } = exeFiles(exeFile);
  if (!(await exists(backup))) throw new SlotswapError('conflict', `there is no previous executable (${backup}) to roll back to`);
  const fromVersion = orch.liveVersion();
  await copyFile(backup, updateFile);
  const result = await updateExecutable(orch, actor, 'rollback');
  return { mode: 'hotswap', slot: HOTSWAP_SLOT, version: result.version, fromVersion, switchMs: null, steps: stepsOf(orch, result.id) };
}

export async function rollbackOperation(orch: Orchestrator, request: RollbackRequest): Promise<RollbackResult> {
  const { actor } = request;
  if (orch.config.mode === 'hotswap') {
    if (request.to) throw new SlotswapError('bad_request', 'rollback --to is for blue/green releases; in hotswap mode rollback swaps <exeFile>.bak back in');
    return hotswapBack(orch, actor);
  }
  const live = orch.store.data.live;
  if (!live) throw new SlotswapError('conflict', 'nothing is live; there is nothing to roll back');
  const target = request.to ? await releaseNamed(orch, request.to) : previousLiveRelease(orch);
  if (!target) throw new SlotswapError('conflict', 'there is no earlier live release to roll back to; deploy the version you want instead (or rollback --to <version>)');
  const fromVersion = orch.liveVersion();
  const other = otherSlot(live);
  const otherRecord = orch.store.data.slots[other];
  const ups = orch.runtime.upstreams(other);
  if ('sha256' in target && sameRelease(otherRecord.release, target) && otherRecord.state === 'draining' && ups.length > 0 && ups.every((up) => up.healthy)) {
    const flipped = await flipToRunningSlot(orch, 'rollback', actor);
    return { mode: 'flip', slot: other, version: flipped.version ?? '', fromVersion, switchMs: flipped.switchMs, steps: flipped.steps };
  }
  if (otherRecord.state === 'stopping') throw new SlotswapError('conflict', `slot ${other} is stopping right now; try the rollback again in a moment`);
  const deployRequest = await redeployRequest(target, actor);
  if (orch.store.data.slots[live].replaced) {
    const result = await deployInPlace(orch, deployRequest);
    return { mode: 'in-place', slot: result.slot, version: result.version, fromVersion, switchMs: null, steps: stepsOf(orch, result.id) };
  }
  const result = await deploy(orch, deployRequest);
  return { mode: 'redeploy', slot: result.slot, version: result.version, fromVersion, switchMs: result.switchMs, steps: stepsOf(orch, result.id) };
}

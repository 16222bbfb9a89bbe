// Hotswap (the Web Connection way): upload a new server executable, then swap it in under a hold.
import { chmod, mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import semver from 'semver';
import { SlotswapError, toSlotswapError } from '../errors.js';
import { receiveUpload } from '../release/receive-upload.js';
import { sha256File } from '../release/sha256-file.js';
import { defaultMinCompatible } from '../release/version-gate.js';
import { newHistoryEntry, type ReleaseInfo } from '../state/state-types.js';
import type { HeldLock } from './operation-lock.js';
import type { Orchestrator } from './orchestrator.js';
import { OperationRun, runStep } from './operation-run.js';
import { replaceInPlace } from './replace-in-place.js';
import { awaitSlotHealthy, spawnSlot } from './slot-lifecycle.js';
import { switchLive } from './flip.js';

export const HOTSWAP_SLOT = 'a';
const UNKNOWN_VERSION = '0.0.0';

export interface UploadResult {
  message: 'File has been uploaded';
  file: string;
  bytes: number;
  sha256: string;
}

export interface HotswapResult {
  message: 'Exe Updated';
  file: string;
  mtime: string;
  size: number;
  sha256: string;
  version: string;
  heldMs: number;
  queued: number;
  startupMs: number;
}

/** The version an executable reports on its health endpoint ({"version": "..."}), if it is semver. */
export function reportedVersion(healthBody: string): string | null {
  try {
    const version = (JSON.parse(healthBody) as { version?: unknown }).version;
    return typeof version === 'string' && semver.valid(version) === version ? version : null;
  } catch {
    return null;
  }
}

export function hotswapRelease(orch: Orchestrator, sha256: string, version = UNKNOWN_VERSION): ReleaseInfo {
  const { exeFile, args } = orch.config.hotswap;
  return {
    name: orch.config.app,
    version,
    minCompatibleVersion: defaultMinCompatible(version),
    start: [exeFile, ...args],
    health: orch.config.health.path,
    env: {},
    sha256,
    archive: null,
    deployedAt: new Date().toISOString(),
  };
}

/** The release as the executable's health answer describes it. */
function refine(release: ReleaseInfo, body: string): ReleaseInfo {
  const version = reportedVersion(body) ?? UNKNOWN_VERSION;
  return { ...release, version, minCompatibleVersion: defaultMinCompatible(version) };
}

export function requireHotswapMode(orch: Orchestrator): void {
  if (orch.config.mode !== 'hotswap') {
    throw new SlotswapError('bad_request', `hotswap needs "mode": "hotswap" in ${orch.config.file} (it is "${orch.config.mode}"); for a blue/green app use slotswap deploy --in-place`);
  }
}

/** Streams the new executable to hotswap.updateFile: temp file, fsync, rename, mode 0755. */
export async function uploadExecutable(orch: Orchestrator, body: Readable, sha256: string | null): Promise<UploadResult> {
  requireHotswapMode(orch);
  const { updateFile } = orch.config.hotswap;
  await mkdir(path.dirname(updateFile), { recursive: true });
  const received = await receiveUpload(body, updateFile, { maxBytes: orch.config.uploads.maxBytes, sha256, mode: 0o755 });
  await chmod(updateFile, 0o755);
  return { message: 'File has been uploaded', file: updateFile, bytes: received.bytes, sha256: received.sha256 };
}

async function describeExe(file: string, release: ReleaseInfo, extra: { heldMs: number; queued: number; startupMs: number }): Promise<HotswapResult> {
  const info = await stat(file);
  return { message: 'Exe Updated', file, mtime: info.mtime.toISOString(), size: info.size, sha256: release.sha256, version: release.version, ...extra };
}

/**
 * Starts whatever is at hotswap.exeFile when nothing runs (first upload, or the first daemon start) and makes it live.
 * `fast` polls health at the hotswap pace; without a run (start-up) the steps are not recorded.
 */
export async function startExistingExe(orch: Orchestrator, run: OperationRun | null, fast: boolean): Promise<ReleaseInfo> {
  let release = hotswapRelease(orch, await sha256File(orch.config.hotswap.exeFile));
  await orch.store.assignRelease(HOTSWAP_SLOT, release);
  await runStep(run, 'start', () => spawnSlot(orch, HOTSWAP_SLOT, release), (pids) => `pid ${pids.join(', ')}`);
  const bodies = await runStep(run, 'health', () => awaitSlotHealthy(orch, HOTSWAP_SLOT, release, fast), () => 'healthy');
  release = refine(release, bodies[0] ?? '');
  await orch.store.replaceRelease(HOTSWAP_SLOT, release, null);
  await orch.store.setSlotState(HOTSWAP_SLOT, 'ready');
  await switchLive(orch, HOTSWAP_SLOT, run);
  return release;
}

/** First install: nothing runs yet, so there is nothing to hold or to put back. */
async function firstInstall(orch: Orchestrator, run: OperationRun): Promise<HotswapResult> {
  const { exeFile, updateFile } = orch.config.hotswap;
  await run.step('swap', () => rename(updateFile, exeFile), () => `${exeFile} installed`);
  const started = Date.now();
  try {
    const release = await startExistingExe(orch, run, true);
    return await describeExe(exeFile, release, { heldMs: 0, queued: 0, startupMs: Date.now() - started });
  } catch (err) {
    await orch.supervisor.stop(HOTSWAP_SLOT, orch.config.drain.stopTimeoutMs);
    if (orch.store.data.slots[HOTSWAP_SLOT].state === 'starting') await orch.store.setSlotState(HOTSWAP_SLOT, 'failed');
    throw err;
  }
}

/** Hold -> in-flight finish -> stop -> exe to .bak, update over exe -> start -> health -> release. */
export async function updateExecutable(orch: Orchestrator, lock: HeldLock, actor: string, op = 'hotswap', onEntry?: (id: string) => void): Promise<HotswapResult> {
  try {
    requireHotswapMode(orch);
    const { exeFile, updateFile } = orch.config.hotswap;
    try {
      await stat(updateFile);
    } catch {
      throw new SlotswapError('invalid_input', `no uploaded executable at ${updateFile}; upload one first (slotswap hotswap upload <file>)`);
    }
    const live = orch.store.data.live;
    const previous = live ? orch.store.data.slots[live].release : null;
    const entry = newHistoryEntry(op, actor, HOTSWAP_SLOT, previous?.version ?? null);
    await orch.store.beginOperation(entry);
    onEntry?.(entry.id);
    const run = new OperationRun(op, entry, orch.events);
    try {
      let result: HotswapResult;
      if (!live || !previous) result = await firstInstall(orch, run);
      else {
        const backup = `${exeFile}.bak`;
        const rejected = `${exeFile}.rejected`;
        const replaced = await replaceInPlace(orch, run, {
          slot: live,
          reason: 'hotswap',
          previous,
          swap: async () => {
            // rename, never write: the old inode stays intact for the .bak (writing a running exe fails with ETXTBSY anyway).
            await rename(exeFile, backup);
            await rename(updateFile, exeFile);
            return hotswapRelease(orch, await sha256File(exeFile), previous.version);
          },
          unswap: async () => {
            await rename(exeFile, rejected);
            await rename(backup, exeFile);
            return rejected;
          },
          refine,
        });
        result = await describeExe(exeFile, replaced.release, replaced);
      }
      await orch.endOperation(entry, { outcome: 'ok', toVersion: result.version });
      return result;
    } catch (err) {
      await orch.endOperation(entry, { outcome: 'failed', error: toSlotswapError(err).message });
      throw err;
    }
  } finally {
    lock.release();
  }
}

// Hotswap (the Web Connection way): upload a new server executable, then swap it in under a hold.
// The live exe waits as <exeFile>.live until the new one is healthy and recorded; only then does it become .bak,
// so a failed hotswap never consumes the last good backup.
import { chmod, copyFile, mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import semver from 'semver';
import { SlotswapError } from '../errors.js';
import { receiveUpload } from '../release/receive-upload.js';
import { sha256File } from '../release/sha256-file.js';
import { defaultMinCompatible } from '../release/version-gate.js';
import type { ReleaseInfo } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import type { Step } from './operation-runner.js';
import { replacementPlan, type ReplaceContext } from './replace-in-place.js';
import { flipSteps, type FlipContext } from './flip.js';
import { crashPoint } from './crash-points.js';
import { exists } from './file-exists.js';

export const HOTSWAP_SLOT = 'a';
const UNKNOWN_VERSION = '0.0.0';

export interface UploadResult {
  message: 'File has been uploaded';
  file: string;
  bytes: number;
  sha256: string;
}

export interface HotswapResult {
  id: string;
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

/** Where the exe files of a hotswap wait: the live one during a swap, the previous good one, the refused one. */
export function exeFiles(exeFile: string) {
  return { keptAs: `${exeFile}.live`, backup: `${exeFile}.bak`, rejected: `${exeFile}.rejected` };
}

/** The version an executable reports on its health endpoint ({"version": "..."}), if it is semver. */
export function reportedVersion(healthBody: string): string | null {
  try {
    const version = (JSON.parse(healthBody) as { version?: unknown }).version;
    // Build metadata is kept (1.8.0+build.5): semver.valid() drops it, so compare without it.
    return typeof version === 'string' && semver.valid(version) === version.split('+')[0] ? version : null;
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

async function describeExe(id: string, file: string, release: ReleaseInfo, extra: { heldMs: number; queued: number; startupMs: number }): Promise<HotswapResult> {
  const info = await stat(file);
  return { id, message: 'Exe Updated', file, mtime: info.mtime.toISOString(), size: info.size, sha256: release.sha256, version: release.version, ...extra };
}

interface ExeStartContext extends FlipContext {
  release: ReleaseInfo | null;
  startupMs: number;
}

/** Start whatever is at exeFile when nothing runs, and make it live: start -> health -> record -> persist -> flip. */
function exeStartSteps(orch: Orchestrator): Step<ExeStartContext>[] {
  let started = 0;
  return [
    {
      name: 'start',
      run: async (ctx) => {
        ctx.release = hotswapRelease(orch, await sha256File(orch.config.hotswap.exeFile));
        await orch.store.assignRelease(HOTSWAP_SLOT, ctx.release);
        started = Date.now();
        const pids = await orch.runtime.spawn(HOTSWAP_SLOT, ctx.release);
        return `pid ${pids.join(', ')}`;
      },
      undo: {
        name: 'stop new',
        run: async () => {
          await orch.runtime.stop(HOTSWAP_SLOT);
          if (orch.store.data.slots[HOTSWAP_SLOT].state === 'starting') await orch.store.setSlotState(HOTSWAP_SLOT, 'failed');
          return `slot ${HOTSWAP_SLOT} ${orch.store.data.slots[HOTSWAP_SLOT].state}`;
        },
      },
    },
    {
      name: 'health',
      run: async (ctx) => {
        const bodies = await orch.runtime.awaitHealthy(HOTSWAP_SLOT, ctx.release!, true);
        ctx.startupMs = Date.now() - started;
        ctx.release = refine(ctx.release!, bodies[0] ?? '');
        await orch.store.replaceRelease(HOTSWAP_SLOT, ctx.release, null);
        await orch.store.setSlotState(HOTSWAP_SLOT, 'ready');
        return `healthy, reports ${ctx.release.version}`;
      },
    },
    ...flipSteps<ExeStartContext>(orch),
  ];
}

/** Start-up in hotswap mode with nothing live yet: run the executable already at hotswap.exeFile. */
export async function startExistingExe(orch: Orchestrator): Promise<ReleaseInfo> {
  const ctx: ExeStartContext = { to: HOTSWAP_SLOT, from: null, switchMs: 0, release: null, startupMs: 0 };
  await orch.runner.run({ op: 'start-up', actor: 'daemon', slot: HOTSWAP_SLOT, fromVersion: null, context: ctx, steps: exeStartSteps(orch), record: false });
  return ctx.release!;
}

function requireUpload(updateFile: string): Step<unknown> {
  return {
    name: 'check',
    run: async () => {
      if (!(await exists(updateFile))) throw new SlotswapError('invalid_input', `no uploaded executable at ${updateFile}; upload one first (slotswap hotswap upload <file>)`);
      return `${updateFile} is there to swap in`;
    },
  };
}

/** First install: nothing runs yet, so there is nothing to hold or to put back. */
async function firstInstall(orch: Orchestrator, actor: string, op: string, onEntry?: (id: string) => void): Promise<HotswapResult> {
  const { exeFile, updateFile } = orch.config.hotswap;
  const ctx: ExeStartContext = { to: HOTSWAP_SLOT, from: null, switchMs: 0, release: null, startupMs: 0 };
  const install: Step<ExeStartContext> = { name: 'swap', run: async () => (await rename(updateFile, exeFile), `${exeFile} installed`) };
  const outcome = await orch.runner.run(
    { op, actor, slot: HOTSWAP_SLOT, fromVersion: null, context: ctx, checks: [requireUpload(updateFile)], steps: [install, ...exeStartSteps(orch)], toVersion: (c) => c.release?.version ?? null },
    onEntry,
  );
  return describeExe(outcome.id, exeFile, ctx.release!, { heldMs: 0, queued: 0, startupMs: ctx.startupMs });
}

/** Hold -> in-flight finish -> stop -> exe kept aside, update over exe -> start -> health -> commit -> release. */
export async function updateExecutable(orch: Orchestrator, actor: string, op = 'hotswap', onEntry?: (id: string) => void): Promise<HotswapResult> {
  requireHotswapMode(orch);
  const live = orch.store.data.live;
  const previous = live ? orch.store.data.slots[live].release : null;
  if (!live || !previous) return firstInstall(orch, actor, op, onEntry);
  const { exeFile, updateFile } = orch.config.hotswap;
  const { keptAs, backup, rejected } = exeFiles(exeFile);
  const ctx: ReplaceContext = { slot: live, previous, next: null, final: null, heldMs: 0, queued: 0, startupMs: 0, rejected: null };
  const plan = replacementPlan(
    orch,
    {
      reason: 'hotswap',
      remembersReplaced: false,
      journal: (c) => ({ kind: 'replace-exe', slot: c.slot, exeFile, keptAs, updateFile, previousSha256: c.previous.sha256 }),
      // rename, never write: the old inode stays intact (writing a running exe fails with ETXTBSY anyway).
      swap: async (c) => {
        if (await exists(exeFile)) await rename(exeFile, keptAs);
        crashPoint(op, 'swap:between-renames');
        await rename(updateFile, exeFile);
        return hotswapRelease(orch, await sha256File(exeFile), c.previous.version);
      },
      unswap: async (c) => {
        const swapped = c.next !== null || !(await exists(updateFile));
        if (swapped && (await exists(exeFile))) await rename(exeFile, rejected);
        if (await exists(keptAs)) await rename(keptAs, exeFile);
        else if (!(await exists(exeFile)) && (await exists(backup))) await copyFile(backup, exeFile);
        return swapped ? rejected : null;
      },
      settle: async () => {
        if (await exists(keptAs)) await rename(keptAs, backup);
      },
      refine,
    },
    { op, lockName: op === 'hotswap' ? 'hotswap' : op, actor, slot: live, fromVersion: previous.version, context: ctx, checks: [requireUpload(updateFile)] },
  );
  const outcome = await orch.runner.run(plan, onEntry);
  return describeExe(outcome.id, exeFile, ctx.final!, ctx);
}

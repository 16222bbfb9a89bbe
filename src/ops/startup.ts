// Daemon start: undo what a previous daemon left half-done (journal, leftovers), then bring the live slot back or
// deploy the bootstrap release. It runs through the operation runner, so the admin API gets 409 until it is over.
import { mkdir, readdir, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { SlotswapError } from '../errors.js';
import { SLOT_NAMES, type SlotName } from '../config/config-types.js';
import { packRelease } from '../release/pack-release.js';
import { receiveUpload } from '../release/receive-upload.js';
import type { Orchestrator } from './orchestrator.js';
import { deploy } from './deploy.js';
import { buildManifest } from './manifest.js';
import { startExistingExe } from './hotswap.js';
import { writeManifestCopy } from './flip.js';
import { exists } from './file-exists.js';
import { settleHotswapFiles, undoJournal } from './journal-recovery.js';
import { drainSteps } from './drain.js';

/** A drain taken over from a previous daemon: run outside any operation (its deploy's history entry was ended by that daemon). */
export function continueDrain(orch: Orchestrator, slot: SlotName): void {
  const [drain, stop] = drainSteps<null>(orch, slot);
  void (async () => {
    console.log(`slotswap: slot ${slot}: drain ${await drain!.run(null)}`);
    console.log(`slotswap: slot ${slot}: ${await stop!.run(null)}`);
  })().catch((err: unknown) => console.error(`slotswap: the drain of slot ${slot} failed: ${(err as Error).message}`));
}

export function uploadsDir(orch: Orchestrator): string {
  return path.join(path.dirname(orch.config.stateFile), 'uploads');
}

/** Folders and files only an operation in progress has: at start-up none is, so they are leftovers of a crash. */
async function removeLeftovers(orch: Orchestrator): Promise<string[]> {
  const removed: string[] = [];
  for (const slot of SLOT_NAMES) {
    const slotDir = orch.config.slots[slot].dir;
    const parent = path.dirname(slotDir);
    const base = path.basename(slotDir);
    for (const name of await readdir(parent).catch(() => [] as string[])) {
      if (name.startsWith(`.${base}.incoming-`) || name.startsWith(`${base}.retired-`) || name === `${base}.previous`) {
        await rm(path.join(parent, name), { recursive: true, force: true });
        removed.push(path.join(parent, name));
      }
    }
  }
  for (const name of await readdir(uploadsDir(orch)).catch(() => [] as string[])) {
    await rm(path.join(uploadsDir(orch), name), { recursive: true, force: true });
    removed.push(path.join(uploadsDir(orch), name));
  }
  return removed;
}

/** Marks what a previous daemon left half-done; its processes were adopted or reaped before this runs. */
async function recover(orch: Orchestrator, adopted: ReadonlySet<SlotName>): Promise<string[]> {
  const notes: string[] = [];
  const data = orch.store.data;
  const pending = data.pending;
  if (pending?.journal) notes.push(await undoJournal(orch, pending.journal));
  if (orch.config.mode === 'hotswap') notes.push(...(await settleHotswapFiles(orch)));
  const interrupted = await orch.store.interruptRunning('the daemon stopped before this operation finished');
  if (pending) notes.push(`operation ${pending.op} was interrupted by a daemon stop; marked "interrupted" in the history`);
  else if (interrupted > 0) notes.push(`${interrupted} history entr${interrupted === 1 ? 'y' : 'ies'} left "running" marked "interrupted"`);
  for (const slot of SLOT_NAMES) {
    const state = data.slots[slot].state;
    if (slot === data.live || adopted.has(slot) || state === 'empty' || state === 'stopped' || state === 'failed') continue;
    await orch.store.recoverSlot(slot, state === 'starting' ? 'failed' : 'stopped');
    notes.push(`slot ${slot} was ${state} when the daemon stopped; now ${orch.store.data.slots[slot].state}`);
  }
  for (const file of await removeLeftovers(orch)) notes.push(`removed ${file}, left by an interrupted operation`);
  return notes;
}

async function bootstrap(orch: Orchestrator): Promise<void> {
  const uploads = uploadsDir(orch);
  await mkdir(uploads, { recursive: true, mode: 0o700 });
  const file = path.join(uploads, `bootstrap-${process.pid}.tgz`);
  // The operator's own bootstrap folder is no upload: uploads.maxBytes does not apply to it.
  const packed = await receiveUpload(packRelease(orch.config.bootstrap), file, { maxBytes: Number.MAX_SAFE_INTEGER, sha256: null });
  try {
    const result = await deploy(orch, { archive: file, sha256: packed.sha256, version: null, minCompatibleVersion: null, allowDowngrade: false, actor: 'bootstrap' });
    await result.drained;
  } finally {
    await unlink(file).catch(() => {});
  }
}

/** Brings the recorded live slot back: start -> health -> publish (only publish when adopted), under the lock, without a history entry. */
async function restoreLive(orch: Orchestrator, adopted: boolean): Promise<string> {
  const live = orch.store.data.live!;
  const release = orch.store.data.slots[live].release;
  if (!release) throw new SlotswapError('corrupt_state', `state says slot ${live} is live but records no release; restore the state file from a backup or move it away`);
  await orch.runner.run({
    op: 'start-up',
    actor: 'daemon',
    slot: live,
    fromVersion: release.version,
    context: null,
    record: false,
    steps: [
      ...(adopted
        ? [{ name: 'route', run: () => (orch.runtime.routeAdopted(live), `adopted pid ${orch.supervisor.instances(live).map((i) => i.pid).join(', ')}`) }]
        : [
            { name: 'start', run: async () => `pid ${(await orch.runtime.spawn(live, release)).join(', ')}` },
            { name: 'health', run: async () => (await orch.runtime.awaitHealthy(live, release), 'healthy') },
          ]),
      {
        name: 'publish',
        run: async () => {
          const data = orch.store.data;
          // The public URL may have changed since the manifest was written (config edit, port 0).
          const manifest = data.manifest ? { ...buildManifest(orch.config, live, release, data.notice), updatedAt: data.manifest.updatedAt } : null;
          if (manifest && JSON.stringify(manifest) !== JSON.stringify(data.manifest)) await orch.store.setManifest({ ...manifest, updatedAt: new Date().toISOString() });
          const snapshot = orch.publish(`slot ${live} restored`);
          await writeManifestCopy(orch, snapshot.manifest?.body);
          return `slot ${live} live`;
        },
      },
    ],
  });
  return adopted ? `slot ${live} serving ${release.name} ${release.version} on its adopted instances` : `slot ${live} restored with ${release.name} ${release.version}`;
}

/** Returns notes for the operator; throws only when nothing can be served at all. */
export async function startUp(orch: Orchestrator, adopted: ReadonlySet<SlotName> = new Set()): Promise<string[]> {
  const notes = await recover(orch, adopted);
  const live = orch.store.data.live;
  if (!live && orch.config.mode === 'hotswap') {
    const { exeFile } = orch.config.hotswap;
    if (!(await exists(exeFile))) notes.push(`no executable at hotswap.exeFile (${exeFile}) yet; install one with: slotswap hotswap <file>`);
    else notes.push(`${exeFile} running as ${(await startExistingExe(orch)).version} on ${orch.config.instances} instance(s)`);
    return notes;
  }
  if (!live && orch.config.bootstrap === '') {
    notes.push('nothing is live yet and "bootstrap" is "": the first slotswap deploy makes a release live; until then requests wait (hold.timeoutMs), then get 503');
    return notes;
  }
  if (!live) {
    await bootstrap(orch);
    notes.push(`bootstrap release from ${orch.config.bootstrap} deployed to slot a`);
    return notes;
  }
  notes.push(await restoreLive(orch, adopted.has(live)));
  // An adopted draining slot drains again from now: its clients finish on it, then it stops.
  for (const slot of adopted) {
    if (slot === live) continue;
    orch.runtime.routeAdopted(slot);
    continueDrain(orch, slot);
  }
  return notes;
}

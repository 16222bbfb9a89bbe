// Daemon start: recover from an interrupted run, then bring the live slot back, or deploy the bootstrap release.
import { mkdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { toSlotswapError } from '../errors.js';
import { SLOT_NAMES } from '../config/config-types.js';
import { packRelease } from '../release/pack-release.js';
import { receiveUpload } from '../release/receive-upload.js';
import type { Orchestrator } from './orchestrator.js';
import { awaitSlotHealthy, spawnSlot } from './slot-lifecycle.js';
import { deploy } from './deploy.js';
import { buildManifest, writeManifestFile } from './manifest.js';
import { startExistingExe } from './hotswap.js';

/** Marks what a previous daemon left half-done; its processes died with it. */
async function recover(orch: Orchestrator): Promise<string[]> {
  const notes: string[] = [];
  const data = orch.store.data;
  const pending = data.pending;
  if (pending) {
    const entry = data.history.find((h) => h.id === pending.historyId);
    if (entry) await orch.endOperation(entry, { outcome: 'interrupted', error: 'the daemon stopped before this operation finished' });
    notes.push(`operation ${pending.op} was interrupted by a daemon stop; marked "interrupted" in the history`);
  }
  for (const slot of SLOT_NAMES) {
    const state = data.slots[slot].state;
    if (slot === data.live || state === 'empty' || state === 'stopped' || state === 'failed') continue;
    await orch.store.recoverSlot(slot, state === 'starting' ? 'failed' : 'stopped');
    notes.push(`slot ${slot} was ${state} when the daemon stopped; now ${orch.store.data.slots[slot].state}`);
  }
  return notes;
}

async function bootstrap(orch: Orchestrator): Promise<void> {
  const uploads = path.join(path.dirname(orch.config.stateFile), 'uploads');
  await mkdir(uploads, { recursive: true });
  const file = path.join(uploads, `bootstrap-${process.pid}.tgz`);
  // The operator's own bootstrap folder is no upload: uploads.maxBytes does not apply to it.
  const packed = await receiveUpload(packRelease(orch.config.bootstrap), file, { maxBytes: Number.MAX_SAFE_INTEGER, sha256: null });
  try {
    const lock = orch.lock.acquire('deploy');
    const result = await deploy(orch, { archive: file, sha256: packed.sha256, version: null, minCompatibleVersion: null, allowDowngrade: false, actor: 'bootstrap' }, lock);
    await result.drained;
  } finally {
    await unlink(file).catch(() => {});
  }
}

/** Hotswap mode, first start: run whatever executable is already at hotswap.exeFile. */
async function installExisting(orch: Orchestrator): Promise<string> {
  const { exeFile } = orch.config.hotswap;
  try {
    await stat(exeFile);
  } catch {
    return `no executable at hotswap.exeFile (${exeFile}) yet; install one with: slotswap hotswap <file>`;
  }
  const release = await startExistingExe(orch, null, false);
  return `${exeFile} running as ${release.version} on ${orch.config.instances} instance(s)`;
}

/** Returns notes for the operator; throws only when nothing can be served at all. */
export async function startUp(orch: Orchestrator): Promise<string[]> {
  const notes = await recover(orch);
  const data = orch.store.data;
  const live = data.live;
  if (!live && orch.config.mode === 'hotswap') {
    notes.push(await installExisting(orch));
    return notes;
  }
  if (!live) {
    await bootstrap(orch);
    notes.push(`bootstrap release from ${orch.config.bootstrap} deployed to slot a`);
    return notes;
  }
  const release = data.slots[live].release;
  if (!release) throw toSlotswapError(new Error(`state says slot ${live} is live but records no release`));
  await spawnSlot(orch, live, release);
  await awaitSlotHealthy(orch, live, release);
  // The public URL may have changed since the manifest was written (config edit, port 0).
  const manifest = data.manifest ? { ...buildManifest(orch.config, live, release, data.notice), updatedAt: data.manifest.updatedAt } : null;
  if (manifest && JSON.stringify(manifest) !== JSON.stringify(data.manifest)) await orch.store.setManifest({ ...manifest, updatedAt: new Date().toISOString() });
  const snapshot = orch.publish(`slot ${live} restored`);
  if (snapshot.manifest) await writeManifestFile(orch.config, snapshot.manifest.body);
  notes.push(`slot ${live} restored with ${release.name} ${release.version}`);
  return notes;
}

// The deploy's share of client files: read and described at the check step, copied by version at the place step, pruned after.
import path from 'node:path';
import type { Orchestrator } from './orchestrator.js';
import type { ReleaseInfo } from '../state/state-types.js';
import { readReleaseManifest } from '../release/release-manifest.js';
import { describeClientFiles, readClientFiles, totalBytes, type ClientFiles } from '../release/client-files.js';
import { appFilesRoot, pruneVersions, readStoredList, storeVersion } from '../release/app-file-store.js';

/** The unpacked release's client files and the check line's part about them ("" without any). */
export async function checkClientFiles(orch: Orchestrator, dir: string, liveVersion: string | null): Promise<{ client: ClientFiles | null; detail: string }> {
  const client = await readClientFiles(dir, (await readReleaseManifest(dir)).client);
  if (client === null) return { client, detail: '' };
  const live = liveVersion === null ? null : { version: liveVersion, files: (await readStoredList(appFilesRoot(orch.config.stateFile), liveVersion))?.files ?? null };
  const skipped = client.skipped.length > 0 ? `, ${client.skipped.length} link(s) or special file(s) left out` : '';
  return { client, detail: `; ${describeClientFiles(client.files, live)}${skipped}` };
}

/** Copies the placed release's client files under their version and records them on the release. */
export async function placeClientFiles(orch: Orchestrator, slotDir: string, release: ReleaseInfo, client: ClientFiles | null): Promise<void> {
  if (client === null) return;
  await storeVersion(appFilesRoot(orch.config.stateFile), release.version, path.join(slotDir, ...client.folder.split('/')), client.files);
  release.client = { folder: client.folder, files: client.files.length, bytes: totalBytes(client.files) };
}

/** Kept: every slot's release (running, draining or ready to flip back to) and the last clients.keepAppVersions live ones. */
export async function pruneClientFiles(orch: Orchestrator): Promise<void> {
  const data = orch.store.data;
  const keep = new Set<string>();
  for (const record of Object.values(data.slots)) if (record.release?.client) keep.add(record.release.version);
  const live = (data.liveReleases ?? []).filter((r) => r.client);
  for (const release of live.slice(-orch.config.clients.keepAppVersions)) keep.add(release.version);
  await pruneVersions(appFilesRoot(orch.config.stateFile), keep);
}

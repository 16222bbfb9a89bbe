// AppRun.json: built from the live release, served from the snapshot, and written to state/ for static hosting.
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config, SlotName } from '../config/config-types.js';
import type { MaintenanceRecord, Manifest, Notice, ReleaseInfo } from '../state/state-types.js';
import { DEFAULT_MAINTENANCE_MESSAGE } from '../proxy/maintenance-gate.js';
import { APP_FILES_PREFIX } from '../defaults.js';

export function slotUrl(config: Config, slot: SlotName): string {
  return `${config.proxy.publicUrl}${config.proxy.slotPathPrefix}/${slot}/`;
}

export function manifestUrl(config: Config): string {
  return `${config.proxy.publicUrl}${config.clients.manifestPath}`;
}

/** Where a version's client files are served: <publicUrl>/_app/<version>/. */
export function appUrl(config: Config, version: string): string {
  return `${config.proxy.publicUrl}${APP_FILES_PREFIX}/${version}/`;
}

/** The API URL and the client files' URLs come from the same release in one object: they flip together. */
export function buildManifest(config: Config, slot: SlotName, release: ReleaseInfo, notice: Notice | null): Manifest {
  const url = slotUrl(config, slot);
  const app = release.client ? appUrl(config, release.version) : null;
  return {
    app: config.app,
    version: release.version,
    minCompatibleVersion: release.minCompatibleVersion,
    webApiUrl: url,
    ...(app ? { appFiles: `${app}files.json` } : {}),
    slot,
    deployment_urls: app ? { web_api: url, app } : { web_api: url },
    updatedAt: new Date().toISOString(),
    notice,
  };
}

/** The manifest as served while maintenance is on: with the notice client apps show (the stored manifest never has it). */
export function withMaintenance(manifest: Manifest | null, maintenance: MaintenanceRecord | null | undefined): Manifest | null {
  if (!manifest || !maintenance) return manifest;
  return { ...manifest, maintenance: { on: true, message: maintenance.message ?? DEFAULT_MAINTENANCE_MESSAGE, retryAfterS: maintenance.retryAfterS, since: maintenance.since } };
}

export function manifestFile(config: Config): string {
  return path.join(path.dirname(config.stateFile), 'AppRun.json');
}

/**
 * Temp file, then rename: a static host never serves half a manifest. No fsync: it sits inside the flip step,
 * and the file is derived (rewritten from the state at every start), so a crash cannot leave it wrong for long.
 */
export async function writeManifestFile(config: Config, body: Buffer): Promise<void> {
  const file = manifestFile(config);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, body, { mode: 0o644 });
  await rename(temp, file);
}

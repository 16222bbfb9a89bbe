// Place step: extract the upload beside the slot folder, read release.json, pass the version gate, rename into place, archive.
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config, SlotName } from '../config/config-types.js';
import { extractRelease } from '../release/extract-release.js';
import { readReleaseManifest } from '../release/release-manifest.js';
import { checkVersionGate } from '../release/version-gate.js';
import type { ReleaseInfo } from '../state/state-types.js';

export interface PlaceInput {
  archive: string;
  sha256: string;
  version: string | null;
  minCompatibleVersion: string | null;
  allowDowngrade: boolean;
  liveVersion: string | null;
}

/** Unpacked size may be this many times the upload limit (docs/configuration.md); a gzip bomb stops there. */
const UNPACKED_FACTOR = 8;

/**
 * Copies the upload to releasesDir and prunes: kept are the archives of the last keepReleases releases that were
 * live, and this one. A release that failed or was only placed never counts, so it never evicts one a rollback needs.
 */
export async function archiveRelease(config: Config, input: PlaceInput, release: ReleaseInfo, liveReleases: readonly ReleaseInfo[]): Promise<string> {
  await mkdir(config.releasesDir, { recursive: true });
  const target = path.join(config.releasesDir, `${config.app}-${release.version}-${input.sha256.slice(0, 12)}.tgz`);
  if (path.resolve(input.archive) !== target) await copyFile(input.archive, target);
  const keep = new Set<string>();
  for (const live of [...liveReleases].reverse()) {
    if (keep.size >= config.keepReleases) break;
    if (live.archive) keep.add(path.resolve(live.archive));
  }
  keep.add(path.resolve(target));
  for (const file of await readdir(config.releasesDir)) {
    const full = path.resolve(config.releasesDir, file);
    if (file.endsWith('.tgz') && !keep.has(full)) await unlink(full).catch(() => {});
  }
  return target;
}

export interface UnpackedRelease {
  /** Temporary folder beside the slot folder holding the extracted release. */
  incoming: string;
  release: ReleaseInfo;
}

/** Extracts into a temp folder and passes the version gate; nothing outside the temp folder changes. */
export async function unpackRelease(config: Config, slot: SlotName, input: PlaceInput): Promise<UnpackedRelease> {
  const slotDir = config.slots[slot].dir;
  const parent = path.dirname(slotDir);
  await mkdir(parent, { recursive: true });
  // Beside the slot folder, so the final rename stays on one file system and is atomic.
  const incoming = await mkdtemp(path.join(parent, `.${path.basename(slotDir)}.incoming-`));
  try {
    await extractRelease(input.archive, incoming, { maxBytes: config.uploads.maxBytes * UNPACKED_FACTOR });
    const manifest = await readReleaseManifest(incoming);
    const gated = checkVersionGate({
      version: input.version ?? manifest.version,
      minCompatibleVersion: input.minCompatibleVersion ?? manifest.minCompatibleVersion,
      liveVersion: input.liveVersion,
      allowDowngrade: input.allowDowngrade,
    });
    const release: ReleaseInfo = {
      name: manifest.name,
      version: gated.version,
      minCompatibleVersion: gated.minCompatibleVersion,
      start: manifest.start,
      health: manifest.health ?? config.health.path,
      env: manifest.env,
      sha256: input.sha256,
      archive: null,
      deployedAt: new Date().toISOString(),
    };
    return { incoming, release };
  } catch (err) {
    await rm(incoming, { recursive: true, force: true });
    throw err;
  }
}

/** Renames the unpacked release into the slot folder and archives the upload. */
export async function commitRelease(config: Config, slot: SlotName, unpacked: UnpackedRelease, input: PlaceInput, liveReleases: readonly ReleaseInfo[]): Promise<ReleaseInfo> {
  const { incoming, release } = unpacked;
  const slotDir = config.slots[slot].dir;
  try {
    const retired = `${slotDir}.retired-${randomBytes(4).toString('hex')}`;
    const hadOld = await rename(slotDir, retired).then(
      () => true,
      () => false,
    );
    await rename(incoming, slotDir);
    if (hadOld) await rm(retired, { recursive: true, force: true });
    release.archive = await archiveRelease(config, input, release, liveReleases);
    return release;
  } catch (err) {
    await rm(incoming, { recursive: true, force: true });
    throw err;
  }
}

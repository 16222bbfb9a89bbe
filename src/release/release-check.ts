// What the deploy's check step verifies about a release beyond the gate (its name) and the line it prints for it.
import semver from 'semver';
import { SlotswapError } from '../errors.js';
import { readReleaseManifest, type ReleaseManifest } from './release-manifest.js';

/** Where a deploy's minCompatibleVersion came from, in the words the check line prints. */
export function minCompatibleSource(given: string | null, manifest: Pick<ReleaseManifest, 'minCompatibleVersion'>, version: string): string {
  if (given !== null) return 'from --min-compatible';
  if (manifest.minCompatibleVersion !== null) return 'from release.json';
  return `default: <major>.0.0 of ${version}`;
}

export interface MinCompatibleNote {
  version: string;
  minCompatibleVersion: string;
  source: string;
  /** The live slot and its release's minimum; null with nothing live. */
  liveSlot: string | null;
  liveMinCompatibleVersion: string | null;
  upgradeStatus: number;
}

/** "minCompatibleVersion 2.0.0 (default: …)", and when it rises above the live one, who will get the upgrade answer. */
export function describeMinCompatible(note: MinCompatibleNote): string {
  const line = `minCompatibleVersion ${note.minCompatibleVersion} (${note.source})`;
  const live = note.liveMinCompatibleVersion;
  if (live === null || !semver.valid(live)) return line;
  // While the old slot drains it still serves the clients it accepts (docs/clients.md): the 426 starts after.
  const after = note.liveSlot === null ? '' : ` once slot ${note.liveSlot} has drained`;
  if (semver.gt(note.minCompatibleVersion, live)) return `${line}; raised from ${live}: clients older than ${note.minCompatibleVersion} will get ${note.upgradeStatus}${after}`;
  if (semver.lt(note.minCompatibleVersion, live)) return `${line}; lowered from ${live}: clients from ${note.minCompatibleVersion} on are served again`;
  return line;
}

export interface NameCheck {
  name: string;
  app: string;
  /** The config's bootstrap folder when this release is the bootstrap: the fix is then another folder. */
  bootstrap: string | null;
}

/** A release named after another app was most likely sent to the wrong daemon: refuse it before anything changes. */
export function checkReleaseName({ name, app, bootstrap }: NameCheck): void {
  if (name === app) return;
  const fix =
    bootstrap === null
      ? `deploy it to the daemon of "${name}", or set "app": "${name}" in the config (and restart the daemon), or "name": "${app}" in release.json`
      : `point "bootstrap" at a release of "${app}" (now ${bootstrap}), or set "app": "${name}" in the config, or "name": "${app}" in its release.json`;
  throw new SlotswapError('invalid_input', `release.json names "${name}" but the config's app is "${app}"; ${fix}`, { name, app });
}

export interface CheckStepInput {
  /** The unpacked release folder (its release.json says whether it set a minimum itself). */
  dir: string;
  release: { name: string; version: string; minCompatibleVersion: string };
  slot: string;
  liveSlot: string | null;
  app: string;
  /** --min-compatible (the API's minCompatible), null when not given. */
  given: string | null;
  liveMinCompatibleVersion: string | null;
  upgradeStatus: number;
  bootstrap: string | null;
  /** A rollback's release was live once: its name is not refused now, and its minimum is the one it had then. */
  rollback: boolean;
}

/** Refuses a release of another app; else the check step's line: the gate passed, the minimum and its source. */
export async function checkRelease(input: CheckStepInput): Promise<string> {
  const { release } = input;
  if (!input.rollback) checkReleaseName({ name: release.name, app: input.app, bootstrap: input.bootstrap });
  const manifest = await readReleaseManifest(input.dir);
  const min = describeMinCompatible({
    version: release.version,
    minCompatibleVersion: release.minCompatibleVersion,
    // A rollback passes the minimum its release had when it was live: say so, not "from --min-compatible".
    source: input.rollback ? 'as when it was live' : minCompatibleSource(input.given, manifest, release.version),
    liveSlot: input.liveSlot,
    liveMinCompatibleVersion: input.liveMinCompatibleVersion,
    upgradeStatus: input.upgradeStatus,
  });
  return `${release.name} ${release.version} passes the version gate for slot ${input.slot}; ${min}`;
}

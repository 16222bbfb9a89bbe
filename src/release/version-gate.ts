// The version gate of a deploy: valid semver, newer than live unless allowed, minCompatible <= version.
import semver from 'semver';
import { SlotswapError } from '../errors.js';

export interface GateInput {
  version: string;
  minCompatibleVersion: string | null;
  liveVersion: string | null;
  allowDowngrade: boolean;
}

export interface GatedVersions {
  version: string;
  minCompatibleVersion: string;
}

/** Without --min-compatible, clients of the same major version stay compatible. */
export function defaultMinCompatible(version: string): string {
  return `${semver.major(version)}.0.0`;
}

function strictSemver(value: string, what: string): string {
  const parsed = semver.valid(value);
  if (parsed === null || parsed !== value) {
    throw new SlotswapError('version_gate', `${what} ${JSON.stringify(value)} is not a valid semver version; expected something like "1.2.0"`);
  }
  return parsed;
}

export function checkVersionGate(input: GateInput): GatedVersions {
  const version = strictSemver(input.version, 'version');
  const minCompatibleVersion =
    input.minCompatibleVersion === null ? defaultMinCompatible(version) : strictSemver(input.minCompatibleVersion, 'minCompatibleVersion');
  if (semver.gt(minCompatibleVersion, version)) {
    throw new SlotswapError(
      'version_gate',
      `minCompatibleVersion ${minCompatibleVersion} is above version ${version}; it must be at most the version itself (--min-compatible ${version} or lower)`,
    );
  }
  if (input.liveVersion !== null && !input.allowDowngrade && !semver.gt(version, input.liveVersion)) {
    throw new SlotswapError(
      'version_gate',
      `version ${version} is not greater than the live version ${input.liveVersion}; deploy a higher version, or pass --allow-downgrade to go back on purpose`,
    );
  }
  return { version, minCompatibleVersion };
}

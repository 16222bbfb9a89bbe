// The version gate of a deploy: valid semver, newer than live unless allowed, minCompatible <= version.
import semver from 'semver';
import { SlotswapError, describeValue } from '../errors.js';

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

/** Strict SemVer 2.0.0, build metadata included ("1.8.0+build.5"); no "v" prefix, no spaces. */
function strictSemver(value: string, what: string): string {
  const parsed = semver.parse(value);
  const canonical = parsed === null ? null : parsed.build.length > 0 ? `${parsed.version}+${parsed.build.join('.')}` : parsed.version;
  if (canonical !== value) {
    throw new SlotswapError('version_gate', `${what} ${describeValue(value)} is not a valid semver version; expected something like "1.2.0"`);
  }
  return value;
}

/** A version given with a request (?version=, ?minCompatible=): null when absent, refused before any operation when not semver. */
export function parseVersionOption(value: string | undefined, name: string): string | null {
  if (value === undefined) return null;
  return strictSemver(value, name);
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

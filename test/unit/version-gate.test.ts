import { describe, expect, it } from 'vitest';
import { checkVersionGate, parseVersionOption } from '../../src/release/version-gate.js';

describe('the version gate', () => {
  it('names a long bad version by its start, not all of it', () => {
    const long = '1'.repeat(5_000);
    expect(() => parseVersionOption(long, 'version')).toThrow(/^version "1{70,80}\.\.\. is not a valid semver version/);
    try {
      parseVersionOption(long, 'version');
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(200);
    }
  });

  it('accepts build metadata, which semver ignores for ordering', () => {
    expect(checkVersionGate({ version: '1.8.0+build.5', minCompatibleVersion: null, liveVersion: '1.7.0', allowDowngrade: false })).toEqual({
      version: '1.8.0+build.5',
      minCompatibleVersion: '1.0.0',
    });
  });

  it('counts two builds of one version as the same version', () => {
    expect(() => checkVersionGate({ version: '1.8.0+build.6', minCompatibleVersion: null, liveVersion: '1.8.0+build.5', allowDowngrade: false })).toThrow(/not greater than the live version/);
  });

  it('still refuses what is not strict semver', () => {
    for (const bad of ['v1.2.0', ' 1.2.0', '1.2', 'bad', '1.2.0+']) {
      expect(() => checkVersionGate({ version: bad, minCompatibleVersion: null, liveVersion: null, allowDowngrade: false })).toThrow(/not a valid semver version/);
    }
  });
});

describe('a version given with the request', () => {
  it('is checked before any operation: absent is null, bad is refused with its name', () => {
    expect(parseVersionOption(undefined, 'version')).toBeNull();
    expect(parseVersionOption('2.0.0-rc.1+sha.abc', 'version')).toBe('2.0.0-rc.1+sha.abc');
    expect(() => parseVersionOption('', 'version')).toThrow(/version "" is not a valid semver version/);
    expect(() => parseVersionOption('bad', 'version')).toThrow(/version "bad" is not a valid semver version/);
    expect(() => parseVersionOption('1.0', 'minCompatibleVersion')).toThrow(/minCompatibleVersion "1.0"/);
  });
});

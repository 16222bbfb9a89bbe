import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SlotswapError } from '../../src/errors.js';
import { checkRelease, checkReleaseName, describeMinCompatible, minCompatibleSource } from '../../src/release/release-check.js';

const note = { version: '2.1.0', minCompatibleVersion: '2.0.0', source: 'from release.json', liveSlot: 'a', liveMinCompatibleVersion: '2.0.0', upgradeStatus: 426 };

describe('the check line about minCompatibleVersion', () => {
  it('names the source: --min-compatible first, then release.json, else the <major>.0.0 default of the version', () => {
    expect(minCompatibleSource('1.5.0', { minCompatibleVersion: '1.0.0' }, '2.1.0')).toBe('from --min-compatible');
    expect(minCompatibleSource(null, { minCompatibleVersion: '1.0.0' }, '2.1.0')).toBe('from release.json');
    expect(minCompatibleSource(null, { minCompatibleVersion: null }, '2.1.0')).toBe('default: <major>.0.0 of 2.1.0');
  });

  it('says nothing more when the minimum stays or nothing is live', () => {
    expect(describeMinCompatible(note)).toBe('minCompatibleVersion 2.0.0 (from release.json)');
    expect(describeMinCompatible({ ...note, liveSlot: null, liveMinCompatibleVersion: null })).toBe('minCompatibleVersion 2.0.0 (from release.json)');
  });

  it('says which clients will get the upgrade status once the old slot drained when the minimum rises', () => {
    expect(describeMinCompatible({ ...note, liveMinCompatibleVersion: '1.0.0', upgradeStatus: 409 })).toBe(
      'minCompatibleVersion 2.0.0 (from release.json); raised from 1.0.0: clients older than 2.0.0 will get 409 once slot a has drained',
    );
  });

  it('says older clients are served again when the minimum falls', () => {
    expect(describeMinCompatible({ ...note, liveMinCompatibleVersion: '2.1.0' })).toContain('lowered from 2.1.0: clients from 2.0.0 on are served again');
  });
});

describe("a release's name against the config's app", () => {
  it('passes a release named after the app', () => {
    expect(() => checkReleaseName({ name: 'shop', app: 'shop', bootstrap: null })).not.toThrow();
  });

  it('refuses another name as invalid input (exit 2), naming both names and the fixes', () => {
    expect(() => checkReleaseName({ name: 'billing', app: 'shop', bootstrap: null })).toThrow(
      /release\.json names "billing" but the config's app is "shop"; .*"app": "billing" in the config .*"name": "shop" in release\.json/,
    );
    const refusal = (() => {
      try {
        checkReleaseName({ name: 'billing', app: 'shop', bootstrap: null });
        return null;
      } catch (err) {
        return err as SlotswapError;
      }
    })();
    expect(refusal?.code).toBe('invalid_input');
    expect(refusal?.exitCode).toBe(2);
  });

  it('points a mismatched bootstrap at the "bootstrap" key', () => {
    expect(() => checkReleaseName({ name: 'sample-api', app: 'shop', bootstrap: '/srv/shop/sites/sample-api' })).toThrow(/point "bootstrap" at a release of "shop" \(now \/srv\/shop\/sites\/sample-api\)/);
  });
});

describe('the check step line', () => {
  it('skips the name check for a rollback, and says its minimum is the one it had when it was live', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-release-check-'));
    await writeFile(path.join(dir, 'release.json'), JSON.stringify({ name: 'old-name', version: '3.0.0', start: ['./run'] }));
    const input = {
      dir,
      release: { name: 'old-name', version: '3.0.0', minCompatibleVersion: '3.0.0' },
      slot: 'b',
      liveSlot: 'a',
      app: 'shop',
      given: null,
      liveMinCompatibleVersion: '2.0.0',
      upgradeStatus: 426,
      bootstrap: null,
      rollback: true,
    };
    expect(await checkRelease(input)).toBe(
      'old-name 3.0.0 passes the version gate for slot b; minCompatibleVersion 3.0.0 (as when it was live); raised from 2.0.0: clients older than 3.0.0 will get 426 once slot a has drained',
    );
    await expect(checkRelease({ ...input, rollback: false })).rejects.toThrow(/names "old-name" but the config's app is "shop"/);
  });
});

import { describe, expect, it } from 'vitest';
import { noSettings, settingsAfter } from '../../src/fleet/fleet-settings.js';

const AT = '2026-12-01T12:00:00.000Z';
const LATER = '2026-12-01T12:05:00.000Z';
const on = { message: 'db upgrade', page: null, pageFile: null, retryAfterS: 30 };

describe('the fleet settings after a change', () => {
  it('sets the notice with the time every node writes as AppRun.json updatedAt, and changes nothing for the same notice', () => {
    const set = settingsAfter(noSettings('node1'), { notice: { message: 'v2 is out', mandatory: true } }, 'node1', 'cli', AT)!;
    expect(set).toMatchObject({ notice: { message: 'v2 is out', mandatory: true }, noticeAt: AT, by: 'node1' });
    expect(settingsAfter(set, { notice: { message: 'v2 is out', mandatory: true } }, 'node2', 'cli', LATER)).toBeNull();
    expect(settingsAfter(set, { notice: null }, 'node2', 'cli', LATER)).toMatchObject({ notice: null, noticeAt: LATER });
  });

  it('keeps maintenance since its first "on" when its message changes, and is null for the very same settings', () => {
    const first = settingsAfter(noSettings('node1'), { maintenance: on }, 'node1', 'cli', AT)!;
    expect(first.maintenance).toMatchObject({ message: 'db upgrade', since: AT, actor: 'cli' });
    expect(settingsAfter(first, { maintenance: on }, 'node2', 'cli', LATER)).toBeNull();
    expect(settingsAfter(first, { maintenance: { ...on, message: 'still upgrading' } }, 'node2', 'cli', LATER)!.maintenance).toMatchObject({ message: 'still upgrading', since: AT });
    expect(settingsAfter(first, { maintenance: null }, 'node2', 'cli', LATER)!.maintenance).toBeNull();
    expect(settingsAfter(noSettings('node1'), { maintenance: null }, 'node1', 'cli', LATER)).toBeNull();
  });

  it('holds and resumes, leaving the notice and maintenance as they are', () => {
    const withNotice = settingsAfter(noSettings('node1'), { notice: { message: 'n', mandatory: false } }, 'node1', 'cli', AT)!;
    const held = settingsAfter(withNotice, { hold: true }, 'node3', 'cli', LATER)!;
    expect(held).toMatchObject({ hold: true, notice: { message: 'n' }, noticeAt: AT, maintenance: null });
    expect(settingsAfter(held, { hold: true }, 'node3', 'cli', LATER)).toBeNull();
    expect(settingsAfter(held, { hold: false }, 'node3', 'cli', LATER)!.hold).toBe(false);
  });
});

// Checks a state file's content on load, so that a damaged or foreign file is refused, never "repaired".
import { describeValue } from '../errors.js';
import { SLOT_STATES } from './slot-states.js';
import { STATE_SCHEMA_VERSION, type StateData } from './state-types.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the problems found; an empty list means the data is usable. */
export function stateProblems(data: unknown): string[] {
  const problems: string[] = [];
  const expect = (ok: boolean, key: string, what: string, got: unknown) => {
    if (!ok) problems.push(`"${key}": expected ${what}, got ${describeValue(got)}`);
  };
  if (!isObject(data)) return [`expected a JSON object, got ${describeValue(data)}`];
  const version = data.schemaVersion;
  if (typeof version === 'number' && version > STATE_SCHEMA_VERSION) {
    return [`"schemaVersion" is ${version}, written by a newer slotswap (this one reads up to ${STATE_SCHEMA_VERSION}); upgrade slotswap`];
  }
  expect(version === STATE_SCHEMA_VERSION, 'schemaVersion', String(STATE_SCHEMA_VERSION), version);
  expect(data.live === null || data.live === 'a' || data.live === 'b', 'live', '"a", "b" or null', data.live);
  const slots = data.slots;
  if (!isObject(slots)) {
    problems.push(`"slots": expected an object with a and b, got ${describeValue(slots)}`);
  } else {
    for (const name of ['a', 'b']) {
      const slot = slots[name];
      if (!isObject(slot)) {
        problems.push(`"slots.${name}": expected an object, got ${describeValue(slot)}`);
        continue;
      }
      expect(SLOT_STATES.includes(slot.state as never), `slots.${name}.state`, `one of ${SLOT_STATES.join(', ')}`, slot.state);
      for (const key of ['release', 'replaced']) {
        const release = slot[key];
        if (release === null || (release === undefined && key === 'replaced')) continue;
        if (!isObject(release)) problems.push(`"slots.${name}.${key}": expected an object or null, got ${describeValue(release)}`);
        else {
          expect(typeof release.version === 'string', `slots.${name}.${key}.version`, 'a string', release.version);
          expect(Array.isArray(release.start), `slots.${name}.${key}.start`, 'an array', release.start);
        }
      }
    }
  }
  expect(Array.isArray(data.history), 'history', 'an array', data.history);
  expect(Array.isArray(data.audit), 'audit', 'an array', data.audit);
  expect(data.manifest === null || isObject(data.manifest), 'manifest', 'an object or null', data.manifest);
  expect(data.notice === null || isObject(data.notice), 'notice', 'an object or null', data.notice);
  expect(data.pending === null || isObject(data.pending), 'pending', 'an object or null', data.pending);
  expect(data.liveReleases === undefined || Array.isArray(data.liveReleases), 'liveReleases', 'an array', data.liveReleases);
  expect(data.maintenance === undefined || data.maintenance === null || (isObject(data.maintenance) && typeof data.maintenance.retryAfterS === 'number'), 'maintenance', 'an object with retryAfterS, or null', data.maintenance);
  expect(data.canary === undefined || data.canary === null || isObject(data.canary), 'canary', 'an object or null', data.canary);
  return problems;
}

export function isValidState(data: unknown): data is StateData {
  return stateProblems(data).length === 0;
}

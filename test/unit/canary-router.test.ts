import { describe, expect, it } from 'vitest';
import { route, stickySlotOf, type RouteSettings } from '../../src/proxy/router.js';
import { buildSlotView, type RoutingSnapshot } from '../../src/proxy/routing-snapshot.js';
import type { SlotState } from '../../src/state/slot-states.js';

const settings: RouteSettings = { manifestPath: '/AppRun.json', slotPathPrefix: '/_slots', upgradeStatus: 426, manifestUrl: 'http://x/AppRun.json' };

/** Slot a live with 1.0.0; slot b the canary (ready) with 2.0.0 needing clients of at least `bMin`. */
function withCanary(weight: number, bState: SlotState = 'ready', bMin = '1.0.0'): RoutingSnapshot {
  const a = buildSlotView({ name: 'a', state: 'live', version: '1.0.0', minCompatibleVersion: '1.0.0', upstreams: [] }, '/_slots');
  const b = buildSlotView({ name: 'b', state: bState, version: '2.0.0', minCompatibleVersion: bMin, upstreams: [] }, '/_slots');
  return { live: a, slots: { a, b }, manifest: null, canary: { slot: 'b', weight } };
}

const slotOf = (decision: ReturnType<typeof route>) => (decision.kind === 'forward' ? decision.slot.name : decision.kind);

describe('canary routing', () => {
  it('assigns a cookie-less request to the canary when its random number falls under the weight, with the sticky cookie', () => {
    const snap = withCanary(25);
    const decision = route('GET', '/', undefined, snap, settings, null, 0.2);
    expect(decision).toBe(snap.slots.b.forwardAssigned);
    expect(snap.slots.b.assignHeaders).toContain('slotswap_slot=b; Path=/; HttpOnly; SameSite=Lax');
  });

  it('assigns a cookie-less request to the live slot when its random number is at or above the weight, with the sticky cookie', () => {
    const snap = withCanary(25);
    expect(route('GET', '/', undefined, snap, settings, null, 0.25)).toBe(snap.slots.a.forwardAssigned);
  });

  it('keeps a client whose cookie names the canary on the canary, whatever its random number, without a new cookie', () => {
    const snap = withCanary(0);
    expect(route('GET', '/x', undefined, snap, settings, 'b', 0.99)).toBe(snap.slots.b.forward);
  });

  it('keeps a client whose cookie names the live slot on the live slot, even at weight 100', () => {
    const snap = withCanary(100);
    expect(route('GET', '/x', undefined, snap, settings, 'a', 0)).toBe(snap.slots.a.forward);
  });

  it('sends everyone new to the canary at weight 100 and no one at weight 0', () => {
    expect(slotOf(route('GET', '/', undefined, withCanary(100), settings, null, 0.999))).toBe('b');
    expect(slotOf(route('GET', '/', undefined, withCanary(0), settings, null, 0))).toBe('a');
  });

  it('applies the version gate first: a client below the canary minimum never lands on it, cookie or not', () => {
    const snap = withCanary(100, 'ready', '1.5.0');
    expect(slotOf(route('GET', '/', '1.2.0', snap, settings, null, 0))).toBe('a');
    expect(slotOf(route('GET', '/', '1.2.0', snap, settings, 'b', 0))).toBe('a');
    expect(slotOf(route('GET', '/', '1.6.0', snap, settings, null, 0))).toBe('b');
  });

  it('ignores the canary once its slot is no longer up (stopped, or live after the promotion): the cookie no longer pins', () => {
    const stopped = withCanary(50, 'stopped');
    expect(route('GET', '/', undefined, stopped, settings, 'b', 0)).toBe(stopped.slots.a.forward);
    const promoted = { ...withCanary(50), canary: { slot: 'a' as const, weight: 50 } };
    expect(route('GET', '/', undefined, promoted, settings, 'b', 0)).toBe(promoted.slots.a.forward);
  });

  it('routes by the live slot alone when no canary runs, whatever the cookie says', () => {
    const snap = { ...withCanary(50), canary: null };
    expect(route('GET', '/', undefined, snap, settings, 'b', 0)).toBe(snap.slots.a.forward);
  });

  it('leaves the manifest and slot-addressed requests to their own rules during a canary', () => {
    expect(route('GET', '/AppRun.json', undefined, withCanary(100), settings, null, 0)).toEqual({ kind: 'manifest' });
    expect(slotOf(route('GET', '/_slots/a/x', undefined, withCanary(100), settings, null, 0))).toBe('a');
  });
});

describe('sticky cookie', () => {
  it('reads slotswap_slot among other cookies', () => {
    expect(stickySlotOf('slotswap_slot=b')).toBe('b');
    expect(stickySlotOf('theme=dark; slotswap_slot=a; lang=en')).toBe('a');
    expect(stickySlotOf('theme=dark;slotswap_slot=b')).toBe('b');
  });

  it('ignores a missing, foreign or malformed value', () => {
    expect(stickySlotOf(undefined)).toBeNull();
    expect(stickySlotOf('x_slotswap_slot=a')).toBeNull();
    expect(stickySlotOf('slotswap_slot=c')).toBeNull();
    expect(stickySlotOf('slotswap_slot=ab')).toBeNull();
    expect(stickySlotOf('x_slotswap_slot=a; slotswap_slot=b')).toBe('b');
  });
});

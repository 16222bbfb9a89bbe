import { describe, expect, it } from 'vitest';
import { route, type RouteSettings } from '../../src/proxy/router.js';
import { buildManifestView, buildSlotView, type RoutingSnapshot } from '../../src/proxy/routing-snapshot.js';
import type { SlotState } from '../../src/state/slot-states.js';

const settings: RouteSettings = { manifestPath: '/AppRun.json', slotPathPrefix: '/_slots', upgradeStatus: 426, manifestUrl: 'http://x/AppRun.json' };

function snapshot(bState: SlotState): RoutingSnapshot {
  const slots = {
    a: buildSlotView({ name: 'a', state: 'live', version: '1.0.0', minCompatibleVersion: '1.0.0', upstreams: [] }, '/_slots'),
    b: buildSlotView({ name: 'b', state: bState, version: '2.0.0', minCompatibleVersion: '1.0.0', upstreams: [] }, '/_slots'),
  };
  return { live: slots.a, slots, manifest: buildManifestView(null) };
}

describe('the preview address of a slot that is not live yet', () => {
  it('sends /_slots/<slot>/ of a ready (placed, healthy, not live) slot to that slot, prefix stripped', () => {
    const ready = snapshot('ready');
    const decision = route('GET', '/_slots/b/version', undefined, ready, settings);
    expect(decision).toMatchObject({ kind: 'forward', stripPrefix: '/_slots/b' });
    expect(decision.kind === 'forward' && decision.slot.name).toBe('b');
  });

  it('applies the version gate to a preview request like to any slot-addressed one', () => {
    const decision = route('GET', '/_slots/b/', '0.9.0', snapshot('ready'), settings);
    expect(decision).toMatchObject({ kind: 'reject', status: 426 });
  });

  it('never sends a request without the prefix to the ready slot: the live slot keeps every public request', () => {
    const ready = snapshot('ready');
    expect(route('GET', '/version', undefined, ready, settings)).toBe(ready.slots.a.forward);
  });

  it('does not preview a slot that is still starting: its address goes to the live slot', () => {
    const decision = route('GET', '/_slots/b/x', undefined, snapshot('starting'), settings);
    expect(decision.kind === 'forward' && decision.slot.name).toBe('a');
  });
});

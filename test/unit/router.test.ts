import { describe, expect, it } from 'vitest';
import { route, type RouteSettings } from '../../src/proxy/router.js';
import { buildManifestView, buildSlotView, type RoutingSnapshot } from '../../src/proxy/routing-snapshot.js';
import type { SlotState } from '../../src/state/slot-states.js';
import type { Manifest } from '../../src/state/state-types.js';

const settings: RouteSettings = { manifestPath: '/AppRun.json', slotPathPrefix: '/_slots', upgradeStatus: 426, manifestUrl: 'http://x/AppRun.json' };

function snapshot(a: [SlotState, string | null, string | null], b: [SlotState, string | null, string | null], live: 'a' | 'b' | null): RoutingSnapshot {
  const slots = {
    a: buildSlotView({ name: 'a', state: a[0], version: a[1], minCompatibleVersion: a[2], upstreams: [] }, '/_slots'),
    b: buildSlotView({ name: 'b', state: b[0], version: b[1], minCompatibleVersion: b[2], upstreams: [] }, '/_slots'),
  };
  const manifest: Manifest | null = live
    ? { app: 'x', version: slots[live].version!, minCompatibleVersion: slots[live].minCompatibleVersion!, webApiUrl: '', slot: live, deployment_urls: { web_api: '' }, updatedAt: '', notice: { message: 'upgrade', mandatory: true } }
    : null;
  return { live: live ? slots[live] : null, slots, manifest: buildManifestView(manifest) };
}

const flipped = snapshot(['draining', '1.4.0', '1.0.0'], ['live', '2.0.0', '2.0.0'], 'b');

describe('router', () => {
  it('serves the manifest itself for GET and HEAD, with or without a query', () => {
    expect(route('GET', '/AppRun.json', undefined, flipped, settings)).toEqual({ kind: 'manifest' });
    expect(route('HEAD', '/AppRun.json?x=1', undefined, flipped, settings)).toEqual({ kind: 'manifest' });
    expect(route('POST', '/AppRun.json', undefined, flipped, settings).kind).toBe('forward');
  });

  it('sends ordinary requests to the live slot without allocating a decision', () => {
    const decision = route('GET', '/orders', undefined, flipped, settings);
    expect(decision).toBe(flipped.slots.b.forward);
  });

  it('answers 503 when no slot is live', () => {
    const empty = snapshot(['empty', null, null], ['empty', null, null], null);
    expect(route('GET', '/', undefined, empty, settings).kind).toBe('unavailable');
  });

  it('sends slot-addressed requests to that slot while it is live or draining, prefix stripped', () => {
    const decision = route('GET', '/_slots/a/orders', undefined, flipped, settings);
    expect(decision).toMatchObject({ kind: 'forward', stripPrefix: '/_slots/a' });
    expect(decision.kind === 'forward' && decision.slot.name).toBe('a');
  });

  it('does not mistake a path that merely starts like the prefix for a slot route', () => {
    expect(route('GET', '/_slotsa/x', undefined, flipped, settings)).toBe(flipped.slots.b.forward);
  });

  it('answers 404 for an unknown slot name', () => {
    expect(route('GET', '/_slots/c/x', undefined, flipped, settings)).toMatchObject({ kind: 'reject', status: 404 });
  });

  it('forwards a stopped slot address to the live slot when the client is compatible', () => {
    const stopped = snapshot(['stopped', '1.4.0', '1.0.0'], ['live', '1.5.0', '1.0.0'], 'b');
    const decision = route('GET', '/_slots/a/x', '1.4.0', stopped, settings);
    expect(decision).toMatchObject({ kind: 'forward', stripPrefix: '/_slots/a', upgradeAvailable: '1.5.0' });
    expect(decision.kind === 'forward' && decision.slot.name).toBe('b');
  });

  it('answers the upgrade notice for a stopped slot address when the client is too old for live', () => {
    const stopped = snapshot(['stopped', '1.4.0', '1.0.0'], ['live', '2.0.0', '2.0.0'], 'b');
    expect(route('GET', '/_slots/a/x', '1.4.0', stopped, settings)).toMatchObject({ kind: 'reject', status: 426 });
  });

  it('serves a too-old client from the draining slot that is still compatible', () => {
    const decision = route('GET', '/', '1.4.0', flipped, settings);
    expect(decision).toBe(flipped.slots.a.forward);
  });

  it('answers upgradeStatus with the notice when no running slot is compatible', () => {
    const drained = snapshot(['stopped', '1.4.0', '1.0.0'], ['live', '2.0.0', '2.0.0'], 'b');
    const decision = route('GET', '/', '1.4.0', drained, settings);
    expect(decision).toMatchObject({
      kind: 'reject',
      status: 426,
      body: { error: 'upgrade_required', clientVersion: '1.4.0', minCompatibleVersion: '2.0.0', latestVersion: '2.0.0', manifestUrl: 'http://x/AppRun.json', notice: { message: 'upgrade', mandatory: true } },
    });
  });

  it('answers 400 for a malformed client version', () => {
    expect(route('GET', '/', 'banana', flipped, settings)).toMatchObject({ kind: 'reject', status: 400 });
  });

  it('marks a compatible but older client with the version it may upgrade to', () => {
    const live = snapshot(['stopped', null, null], ['live', '2.3.0', '2.0.0'], 'b');
    expect(route('GET', '/', '2.1.0', live, settings)).toMatchObject({ kind: 'forward', upgradeAvailable: '2.3.0' });
    expect(route('GET', '/', '2.3.0', live, settings)).toBe(live.slots.b.forward);
  });
});

describe('router, slot-addressed requests with a client version', () => {
  it('keeps a compatible pinned client on its draining slot and tells it about the live release', () => {
    const draining = snapshot(['draining', '1.4.0', '1.0.0'], ['live', '1.5.0', '1.0.0'], 'b');
    const decision = route('GET', '/_slots/a/x', '1.4.0', draining, settings);
    expect(decision).toMatchObject({ kind: 'forward', stripPrefix: '/_slots/a', upgradeAvailable: '1.5.0' });
    expect(decision.kind === 'forward' && decision.slot.name).toBe('a');
  });

  it('moves a client pinned to the live slot but too old for it to the compatible draining slot, prefix stripped', () => {
    const decision = route('GET', '/_slots/b/x', '1.4.0', flipped, settings);
    expect(decision).toMatchObject({ kind: 'forward', stripPrefix: '/_slots/b' });
    expect(decision.kind === 'forward' && decision.slot.name).toBe('a');
  });

  it('answers the upgrade notice to a pinned client too old for every running slot', () => {
    const drained = snapshot(['stopped', '1.4.0', '1.0.0'], ['live', '2.0.0', '2.0.0'], 'b');
    expect(route('GET', '/_slots/b/x', '1.1.0', drained, settings)).toMatchObject({ kind: 'reject', status: 426, body: { latestVersion: '2.0.0' } });
    expect(route('GET', '/_slots/b/x', 'x.y', drained, settings)).toMatchObject({ kind: 'reject', status: 400 });
  });
});

describe('router, absolute-form targets', () => {
  it('serves the manifest for an absolute-form request of it', () => {
    expect(route('GET', 'http://api.test/AppRun.json', undefined, flipped, settings)).toEqual({ kind: 'manifest' });
    expect(route('GET', 'http://api.test/AppRun.json?x=1', undefined, flipped, settings)).toEqual({ kind: 'manifest' });
  });

  it('routes an absolute-form slot address to that slot, prefix stripped', () => {
    const decision = route('GET', 'http://api.test/_slots/a/x', undefined, flipped, settings);
    expect(decision).toMatchObject({ kind: 'forward', stripPrefix: '/_slots/a' });
    expect(decision.kind === 'forward' && decision.slot.name).toBe('a');
  });
});

describe('router, retries (the proxy routes a retried or parked request again with the same facts)', () => {
  it('sends a request that was told an upgrade is available to the new live slot after a flip', () => {
    const before = snapshot(['live', '1.4.0', '1.0.0'], ['empty', null, null], 'a');
    const first = route('GET', '/x', '1.3.0', before, settings);
    expect(first).toMatchObject({ kind: 'forward', upgradeAvailable: '1.4.0' });
    const after = snapshot(['draining', '1.4.0', '1.0.0'], ['live', '1.5.0', '1.0.0'], 'b');
    const again = route('GET', '/x', '1.3.0', after, settings);
    expect(again).toMatchObject({ kind: 'forward', upgradeAvailable: '1.5.0' });
    expect(again.kind === 'forward' && again.slot.name).toBe('b');
  });

  it('sends a retried request for a slot address that has stopped meanwhile to the live slot', () => {
    const after = snapshot(['stopped', '1.0.0', '1.0.0'], ['live', '1.1.0', '1.0.0'], 'b');
    const again = route('GET', '/_slots/a/x', undefined, after, settings);
    expect(again).toMatchObject({ kind: 'forward', stripPrefix: '/_slots/a' });
    expect(again.kind === 'forward' && again.slot.name).toBe('b');
  });
});

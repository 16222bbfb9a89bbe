import { describe, expect, it } from 'vitest';
import { buildSlotView } from '../../src/proxy/routing-snapshot.js';
import { Upstream } from '../../src/proxy/upstream.js';

describe('routing snapshot', () => {
  it('keeps a published view\'s instances when the orchestrator replaces one in its own array, as recovery does', () => {
    const first = new Upstream('a', 0, 1, undefined);
    const upstreams = [first];
    const view = buildSlotView({ name: 'a', state: 'live', version: '1.0.0', minCompatibleVersion: '1.0.0', upstreams }, '/_slots');
    upstreams[0] = new Upstream('a', 0, 2, undefined);
    upstreams.push(new Upstream('a', 1, 3, undefined));
    expect(view.upstreams.map((up) => up.port)).toEqual([1]);
    for (const up of [first, ...upstreams]) up.destroy();
  });

  it('cannot be changed through the view itself', () => {
    const view = buildSlotView({ name: 'b', state: 'live', version: '1.0.0', minCompatibleVersion: null, upstreams: [] }, '/_slots');
    expect(Object.isFrozen(view) && Object.isFrozen(view.upstreams) && Object.isFrozen(view.forward) && Object.isFrozen(view.responseHeaders)).toBe(true);
  });
});

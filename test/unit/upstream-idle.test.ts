import { describe, expect, it } from 'vitest';
import { Upstream, waitIdle } from '../../src/proxy/upstream.js';

function upstreamWith(inFlight: number): Upstream {
  const up = new Upstream('a', 0, 9001, undefined);
  up.inFlight = inFlight;
  return up;
}

describe('waiting for a slot to be idle', () => {
  it('returns at once when nothing is in flight', async () => {
    const started = performance.now();
    expect(await waitIdle([upstreamWith(0), upstreamWith(0)], 5_000)).toBe(true);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('wakes when the last request on the last busy instance settles, not on a poll', async () => {
    const a = upstreamWith(2);
    const b = upstreamWith(1);
    let done = false;
    const waiting = waitIdle([a, b], 5_000).then((idle) => ((done = true), idle));
    a.settle();
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    a.settle();
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    b.settle();
    // Two microtask hops at most: the wake-up, then the loop's re-check.
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(true);
    expect(await waiting).toBe(true);
  });

  it('gives up at the timeout with false while a request is still in flight', async () => {
    const started = performance.now();
    expect(await waitIdle([upstreamWith(1)], 100)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('wakes the waiters when the instance is destroyed', async () => {
    const up = upstreamWith(1);
    const waiting = up.whenIdle();
    up.destroy();
    await expect(waiting).resolves.toBeUndefined();
  });
});

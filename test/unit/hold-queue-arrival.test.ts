// A request handed on by the previous daemon keeps its first arrival time: queued before later ones, timed out from then.
import { describe, expect, it } from 'vitest';
import { HoldQueue, type Waiting } from '../../src/proxy/hold-queue.js';

describe('the hold queue with arrival times', () => {
  it('replays entries in arrival order, an earlier hand-on before a later local arrival', () => {
    let now = 10_000;
    const forwarded: string[] = [];
    const queue = new HoldQueue<string>({ timeoutMs: 60_000, maxQueued: 10 }, { forward: (item: Waiting<string>) => (forwarded.push(item.value), true), timedOut: () => {} }, () => now);
    queue.hold('operator');
    queue.add('a', 'local at 10000');
    queue.add('a', 'handed on, arrived at 4000', 4_000);
    queue.add('a', 'handed on, arrived at 7000', 7_000);
    now = 11_000;
    queue.add('a', 'local at 11000');
    queue.release('operator');
    queue.replay();
    expect(forwarded).toEqual(['handed on, arrived at 4000', 'handed on, arrived at 7000', 'local at 10000', 'local at 11000']);
  });

  it('times a handed-on entry out hold.timeoutMs after its first arrival', () => {
    let now = 10_000;
    const timedOut: string[] = [];
    const queue = new HoldQueue<string>({ timeoutMs: 5_000, maxQueued: 10 }, { forward: () => true, timedOut: (item) => timedOut.push(item.value) }, () => now);
    queue.hold('operator');
    queue.add('a', 'arrived at 6000', 6_000);
    queue.add('a', 'arrived now');
    now = 11_000;
    queue.sweep();
    expect(timedOut).toEqual(['arrived at 6000']);
    queue.release('operator');
  });
});

import { describe, expect, it } from 'vitest';
import { HoldQueue, type Waiting } from '../../src/proxy/hold-queue.js';

/** A queue of named requests whose targets take requests only when listed in `ready`, on a clock the test moves. */
function queue(limits = { timeoutMs: 1_000, maxQueued: 100 }) {
  const clock = { now: 10_000 };
  const ready = new Set<string>();
  const forwarded: string[] = [];
  const timedOut: string[] = [];
  const q = new HoldQueue<string>(
    limits,
    {
      forward: (item: Waiting<string>) => {
        if (!ready.has(item.target)) return false;
        forwarded.push(item.value);
        return true;
      },
      timedOut: (item) => timedOut.push(item.value),
    },
    () => clock.now,
  );
  return { q, clock, ready, forwarded, timedOut };
}

describe('hold queue', () => {
  it('replays a target that can take requests although another target, queued first, cannot', () => {
    const { q, ready, forwarded } = queue();
    q.add('a', 'a1');
    q.add('b', 'b1');
    q.add('a', 'a2');
    q.add('b', 'b2');
    ready.add('b');
    expect(q.replay()).toBe(2);
    expect(forwarded).toEqual(['b1', 'b2']);
    expect(q.length).toBe(2);
    ready.add('a');
    q.replay();
    expect(forwarded).toEqual(['b1', 'b2', 'a1', 'a2']);
    expect(q.length).toBe(0);
  });

  it('makes a new request wait only behind requests for its own target, and behind everything while held', () => {
    const { q } = queue();
    q.add('a', 'a1');
    expect({ a: q.mustWait('a'), b: q.mustWait('b') }).toEqual({ a: true, b: false });
    q.hold('operator');
    expect(q.mustWait('b')).toBe(true);
  });

  it('replays nothing while any reason holds, and everything once the last reason is released', () => {
    const { q, ready, forwarded } = queue();
    ready.add('a');
    q.hold('operator');
    q.hold('hotswap');
    q.add('a', 'a1');
    expect(q.replay()).toBe(0);
    expect(q.release('operator')).toBe(false);
    expect(q.release('hotswap')).toBe(true);
    q.replay();
    expect(forwarded).toEqual(['a1']);
  });

  it('keeps an entry its target cannot take at the head, in arrival order', () => {
    const { q, ready, forwarded } = queue();
    q.add('a', 'a1');
    q.add('a', 'a2');
    q.replay();
    q.replay();
    ready.add('a');
    q.replay();
    expect(forwarded).toEqual(['a1', 'a2']);
  });

  it('answers entries that waited hold.timeoutMs on a sweep, and the same sweep forwards what can go now', () => {
    const { q, clock, ready, forwarded, timedOut } = queue();
    q.add('a', 'a1');
    clock.now += 10;
    q.add('b', 'b1');
    clock.now += 990;
    // Target b came back without anything calling replay: only the sweep notices.
    ready.add('b');
    q.sweep();
    expect({ timedOut, forwarded, queued: q.length }).toEqual({ timedOut: ['a1'], forwarded: ['b1'], queued: 0 });
    expect(q.stats()).toMatchObject({ queuedTotal: 2, replayedTotal: 1, timedOutTotal: 1 });
  });

  it('refuses a request once hold.maxQueued wait, counted over all targets', () => {
    const { q } = queue({ timeoutMs: 1_000, maxQueued: 2 });
    expect(q.add('a', 'a1')).not.toBeNull();
    expect(q.add('b', 'b1')).not.toBeNull();
    expect(q.add('b', 'b2')).toBeNull();
    expect(q.stats().refusedTotal).toBe(1);
  });

  it('drops an entry whose client went away instead of forwarding it', () => {
    const { q, ready, forwarded } = queue();
    q.add('a', 'a1')!.closed = true;
    q.add('a', 'a2');
    ready.add('a');
    q.replay();
    expect({ forwarded, queued: q.length }).toEqual({ forwarded: ['a2'], queued: 0 });
  });

  it('answers everything still waiting on flush, every target', () => {
    const { q } = queue();
    q.add('a', 'a1');
    q.add('b', 'b1');
    const answered: string[] = [];
    q.flush((item) => answered.push(item.value));
    expect({ answered, queued: q.length }).toEqual({ answered: ['a1', 'b1'], queued: 0 });
  });
});

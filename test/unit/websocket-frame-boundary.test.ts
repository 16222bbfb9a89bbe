import { describe, expect, it } from 'vitest';
import { FrameBoundary, GOING_AWAY_FRAME } from '../../src/proxy/engines/http-proxy-websocket.js';

const frame = (payload: number): Buffer => {
  const header = payload < 126 ? [0x81, payload] : payload < 65_536 ? [0x81, 126, payload >> 8, payload & 0xff] : [0x81, 127, 0, 0, 0, 0, (payload >>> 24) & 0xff, (payload >> 16) & 0xff, (payload >> 8) & 0xff, payload & 0xff];
  return Buffer.concat([Buffer.from(header), Buffer.alloc(payload, 0x61)]);
};

describe('FrameBoundary', () => {
  it('is at a boundary after whole frames of every length form, however the bytes are split', () => {
    const stream = Buffer.concat([frame(5), frame(300), frame(70_000), frame(0)]);
    for (const step of [1, 3, 7, 1000, stream.length]) {
      const frames = new FrameBoundary();
      for (let i = 0; i < stream.length; i += step) frames.feed(stream.subarray(i, i + step));
      expect(frames.atBoundary, `split every ${step} bytes`).toBe(true);
    }
  });

  it('is not at a boundary in the middle of a frame or of its header', () => {
    const frames = new FrameBoundary();
    frames.feed(frame(300).subarray(0, 3));
    expect(frames.atBoundary).toBe(false);
    frames.feed(frame(300).subarray(3, 100));
    expect(frames.atBoundary).toBe(false);
  });

  it('with stopAtBoundary takes only the rest of the current frame', () => {
    const frames = new FrameBoundary();
    const first = frame(10);
    frames.feed(first.subarray(0, 4));
    const next = Buffer.concat([first.subarray(4), frame(2)]);
    expect(frames.feed(next, true)).toBe(first.length - 4);
    expect(frames.atBoundary).toBe(true);
    expect(frames.feed(frame(2), true)).toBe(0);
  });

  it('writes close 1001 "going away" as an unmasked server frame', () => {
    expect([...GOING_AWAY_FRAME.subarray(0, 4)]).toEqual([0x88, 12, 0x03, 0xe9]);
    expect(GOING_AWAY_FRAME.subarray(4).toString('utf8')).toBe('going away');
  });
});

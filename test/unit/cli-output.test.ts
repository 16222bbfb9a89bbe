import { describe, expect, it } from 'vitest';
import { formatProgress, formatStep } from '../../src/cli/output.js';

describe('formatStep', () => {
  it('lines up every step time of a failed deploy, the long undo step names included', () => {
    const lines = [
      formatStep(true, 'check', 6.91, 'sample-api 9.0.0 passes the version gate'),
      formatStep(false, 'health', 275, 'instance a-1 exited with code 3'),
      formatStep(true, 'stop new', 0.12, 'slot a instances stopped'),
      formatStep(true, 'mark failed', 2.1, 'slot a failed; the live slot was not touched'),
      formatStep(true, 'restart old', 1500, 'slot b is live again'),
      formatProgress('health', 1200, 'waiting for 1 instance(s)'),
    ];
    // Where each time ends (the times are right-aligned, "0.12 ms" and "1.50 s" alike).
    const ends = lines.map((l) => {
      const m = /\d (?:ms|s) {2}/.exec(l)!;
      return m.index + m[0].length;
    });
    expect(new Set(ends).size, lines.join('\n')).toBe(1);
  });
});

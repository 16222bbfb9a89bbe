import { describe, expect, it } from 'vitest';
import { DAEMON_HEAP_GROWING_PERCENT } from '../../src/defaults.js';
import { heapGrowthFlag } from '../../src/heap-growth.js';

describe('heap growth between full GCs', () => {
  it('is limited to the daemon\'s own percentage when node was started without one', () => {
    expect(heapGrowthFlag(['--max-semi-space-size=4'], undefined)).toBe(`--heap-growing-percent=${DAEMON_HEAP_GROWING_PERCENT}`);
    expect(heapGrowthFlag([], '--max-old-space-size=512')).toBe(`--heap-growing-percent=${DAEMON_HEAP_GROWING_PERCENT}`);
  });

  it('is left to the operator who gave their own, on the command line or in NODE_OPTIONS', () => {
    expect(heapGrowthFlag(['--heap-growing-percent=80'], undefined)).toBeNull();
    expect(heapGrowthFlag([], '--inspect --heap-growing-percent=30')).toBeNull();
    expect(heapGrowthFlag(['--heap_growing_percent=30'], undefined)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { cutToBytes, jsonBytes, pushBounded } from '../../src/state/bounded-list.js';

describe('bounded lists of the state file', () => {
  it('keeps at most the given number of entries, dropping the oldest', () => {
    const list: { n: number }[] = [];
    for (let n = 0; n < 10; n++) pushBounded(list, { n }, 3, 1_000_000);
    expect(list.map((e) => e.n)).toEqual([7, 8, 9]);
  });

  it('keeps at most the given number of bytes of JSON, dropping the oldest', () => {
    const list: { s: string }[] = [];
    for (let n = 0; n < 10; n++) pushBounded(list, { s: String(n).repeat(90) }, 100, 300);
    expect(list.length).toBe(3);
    expect(list.reduce((sum, e) => sum + jsonBytes(e), 0)).toBeLessThanOrEqual(300);
    expect(list.at(-1)!.s[0]).toBe('9');
  });

  it('always keeps the newest entry, even one larger than the budget', () => {
    const list = [{ s: 'a' }];
    pushBounded(list, { s: 'x'.repeat(1_000) }, 100, 100);
    expect(list).toEqual([{ s: 'x'.repeat(1_000) }]);
  });
});

describe('cutting a string to a byte length', () => {
  it('leaves a short string as it is', () => {
    expect(cutToBytes('POST /api/flip', 200)).toBe('POST /api/flip');
  });

  it('cuts a long string to at most the byte length, marked with an ellipsis', () => {
    const cut = cutToBytes(`POST /api/${'x'.repeat(15_000)}`, 200);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(200);
    expect(cut.startsWith('POST /api/xxx')).toBe(true);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('never cuts inside a multi-byte character', () => {
    const cut = cutToBytes('é'.repeat(200), 100);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(100);
    expect(cut).toMatch(/^é+…$/);
  });
});

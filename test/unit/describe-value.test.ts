import { describe, expect, it } from 'vitest';
import { describeValue } from '../../src/errors.js';

describe('describeValue', () => {
  it('shows a short value as JSON and cuts a long one', () => {
    expect(describeValue({ a: 1 })).toBe('{"a":1}');
    expect(describeValue('x'.repeat(200))).toMatch(/^"x{76}\.\.\.$/);
    expect(describeValue(undefined)).toBe('nothing');
  });

  it('names an array nested too deeply for JSON instead of overflowing the stack (a hostile request body)', () => {
    const deep = JSON.parse(`${'['.repeat(20_000)}${']'.repeat(20_000)}`) as unknown;
    expect(describeValue(deep)).toBe('an array nested too deeply to show');
  });
});

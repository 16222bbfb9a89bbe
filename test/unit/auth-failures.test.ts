import { describe, expect, it } from 'vitest';
import { AuthFailures } from '../../src/admin/auth-failures.js';

function withClock() {
  const lines: string[] = [];
  let now = 0;
  const failures = new AuthFailures(10_000, (line) => lines.push(line), () => now);
  return { failures, lines, advance: (ms: number) => (now += ms) };
}

describe('refused admin requests', () => {
  it('counts every refusal but logs at most one line per interval, with the count refused since', () => {
    const { failures, lines, advance } = withClock();
    for (let i = 0; i < 100; i++) failures.refused('POST', '/api/flip', '127.0.0.1');
    expect(failures.total).toBe(100);
    expect(lines.length).toBe(1);
    advance(10_000);
    failures.refused('POST', '/api/flip', '127.0.0.1');
    expect(lines.length).toBe(2);
    expect(lines[1]).toContain('(99 more refused since the last such line)');
    expect(lines[1]).toContain('101 refused in all');
  });

  it('logs the path only, without the query, cut to 200 bytes', () => {
    const { failures, lines } = withClock();
    failures.refused('POST', `/api/${'x'.repeat(15_000)}?token=secret`, '127.0.0.1');
    expect(lines[0]).not.toContain('secret');
    expect(Buffer.byteLength(lines[0]!)).toBeLessThan(400);
  });
});

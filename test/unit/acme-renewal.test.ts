import { describe, expect, it } from 'vitest';
import { renewalDue, renewalDueAt } from '../../src/tls/acme-renewal.js';

const DAY = 86_400_000;
const from = new Date('2026-01-01T00:00:00Z');
const after = (days: number) => new Date(from.getTime() + days * DAY);

describe('when an ACME certificate is renewed', () => {
  it('renews a 90-day certificate 30 days before expiry (a third of its lifetime)', () => {
    expect(renewalDueAt(from, after(90)).toISOString()).toBe(after(60).toISOString());
    expect(renewalDue(from, after(90), after(59))).toBe(false);
    expect(renewalDue(from, after(90), after(60))).toBe(true);
  });

  it('renews a one-year certificate when a third of its lifetime is left, not only 30 days', () => {
    expect(renewalDueAt(from, after(360)).toISOString()).toBe(after(240).toISOString());
  });

  it('renews a short-lived certificate at once, never before it became valid', () => {
    expect(renewalDueAt(from, after(6)).toISOString()).toBe(from.toISOString());
    expect(renewalDue(from, after(6), after(1))).toBe(true);
  });
});

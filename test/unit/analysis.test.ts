import { describe, expect, it } from 'vitest';
import { judge } from '../../src/ops/analysis.js';
import { AnswerWindow, quantileMs } from '../../src/proxy/answer-window.js';
import type { AnalysisRules } from '../../src/state/state-types.js';

const rules: AnalysisRules = { maxErrorRatePct: 5, maxP99Ms: 200, windowMs: 10_000, minRequests: 20 };
const figures = (requests: number, errors: number, p99Ms: number | null) => ({ requests, errors, errorRatePct: requests ? (errors / requests) * 100 : 0, p99Ms });
const at = new Date('2026-01-01T00:00:00Z');

describe('analysis', () => {
  it('does not judge a slot with fewer answers than minRequests, however bad', () => {
    expect(judge(rules, 'b', '2.0.0', figures(19, 19, 5000), figures(100, 0, 10), at)).toBeNull();
  });

  it('trips the error rate above its limit, with the measured figures beside the limit', () => {
    const verdict = judge(rules, 'b', '2.0.0', figures(40, 20, 10), figures(100, 0, 10), at);
    expect(verdict).toMatchObject({ rule: 'max-error-rate', limit: 5, measured: 50, requests: 40, errors: 20, slot: 'b', version: '2.0.0' });
  });

  it('lets an error rate at the limit pass', () => {
    expect(judge(rules, 'b', null, figures(100, 5, 10), figures(100, 0, 10), at)).toBeNull();
  });

  it('trips the p99 only when above the limit and above the other slot p99', () => {
    expect(judge(rules, 'b', null, figures(50, 0, 300), figures(50, 0, 20), at)).toMatchObject({ rule: 'max-p99-ms', measured: 300, otherP99Ms: 20 });
    expect(judge(rules, 'b', null, figures(50, 0, 300), figures(50, 0, 400), at)).toBeNull();
    expect(judge(rules, 'b', null, figures(50, 0, 150), figures(50, 0, 20), at)).toBeNull();
  });

  it('leaves a rule that is off (null) alone', () => {
    expect(judge({ ...rules, maxErrorRatePct: null, maxP99Ms: null }, 'b', null, figures(50, 50, 9000), figures(50, 0, 1), at)).toBeNull();
  });
});

describe('answer window', () => {
  it('counts answers and errors of the last window only', () => {
    const w = new AnswerWindow();
    for (let i = 0; i < 10; i++) w.record(1000, 5, i % 2 === 0);
    w.record(30_000, 5, true);
    expect(w.figures(30_000, 10_000)).toMatchObject({ requests: 1, errors: 1 });
    expect(w.figures(5_000, 10_000)).toMatchObject({ requests: 10, errors: 5, errorRatePct: 50 });
  });

  it('estimates the p99 within its bucket', () => {
    const w = new AnswerWindow();
    for (let i = 0; i < 99; i++) w.record(100, 3, false);
    w.record(100, 900, false);
    const p99 = w.figures(100, 1000).p99Ms!;
    expect(p99).toBeGreaterThan(2);
    expect(p99).toBeLessThanOrEqual(3);
    expect(quantileMs([0, 0, 1], [1, 2], 0.99)).toBe(2);
  });
});

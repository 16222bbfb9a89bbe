// The canary analysis as a pure function: a slot's figures over the window, the other slot's, the rules -> a verdict.
import type { SlotName } from '../config/config-types.js';
import type { WindowFigures } from '../proxy/answer-window.js';
import type { AnalysisRules, AnalysisVerdict } from '../state/state-types.js';

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * null while the slot passes (or has fewer than minRequests answers in the window: too few to judge).
 * The error rate trips above its limit; the p99 trips above its limit only when it is also above the other slot's
 * p99, so a release is not blamed for a slowness both share.
 */
export function judge(rules: AnalysisRules, slot: SlotName, version: string | null, mine: WindowFigures, other: WindowFigures, at: Date): AnalysisVerdict | null {
  if (mine.requests < rules.minRequests) return null;
  const base = { slot, version, requests: mine.requests, errors: mine.errors, errorRatePct: round(mine.errorRatePct), p99Ms: mine.p99Ms === null ? null : round(mine.p99Ms), otherP99Ms: other.p99Ms === null ? null : round(other.p99Ms), windowMs: rules.windowMs, at: at.toISOString() };
  if (rules.maxErrorRatePct !== null && mine.errorRatePct > rules.maxErrorRatePct) {
    return { rule: 'max-error-rate', limit: rules.maxErrorRatePct, measured: round(mine.errorRatePct), ...base };
  }
  if (rules.maxP99Ms !== null && mine.p99Ms !== null && mine.p99Ms > rules.maxP99Ms && (other.p99Ms === null || mine.p99Ms > other.p99Ms)) {
    return { rule: 'max-p99-ms', limit: rules.maxP99Ms, measured: round(mine.p99Ms), ...base };
  }
  return null;
}

/** One line for the history and the CLI: which rule tripped, the figures beside the limit. */
export function describeVerdict(v: AnalysisVerdict): string {
  const seconds = v.windowMs / 1000;
  if (v.rule === 'max-error-rate') {
    return `analysis: slot ${v.slot} (${v.version ?? '-'}) error rate ${v.measured} % > max ${v.limit} % (${v.errors} of ${v.requests} answers in the last ${seconds} s)`;
  }
  return `analysis: slot ${v.slot} (${v.version ?? '-'}) p99 ${v.measured} ms > max ${v.limit} ms (other slot ${v.otherP99Ms ?? '-'} ms; ${v.requests} answers in the last ${seconds} s)`;
}

/** Whether any rule is on: without one, nothing is watched. */
export function hasRules(rules: AnalysisRules): boolean {
  return rules.maxErrorRatePct !== null || rules.maxP99Ms !== null;
}

// A deploy's progressive options from the admin request (query or X-Slotswap-* headers): canary, steps, analysis, watch.
import type { Request } from 'express';
import { SlotswapError } from '../errors.js';
import { checkProgressive, NO_PROGRESSIVE, parseWeight, type ProgressiveOptions } from '../ops/canary.js';
import { flag, option } from './request-options.js';

const MAX_MS = 24 * 60 * 60 * 1000;

function number(req: Request, name: string, min: number, max: number, whole = true): number | null {
  const raw = option(req, name);
  if (raw === undefined || raw === '') return null;
  const n = Number(raw);
  if (!Number.isFinite(n) || (whole && !Number.isInteger(n)) || n < min || n > max) {
    throw new SlotswapError('bad_request', `${name}: expected ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(raw.slice(0, 40))}`, { option: name });
  }
  return n;
}

function steps(req: Request): number[] {
  const raw = option(req, 'steps');
  if (raw === undefined || raw === '') return [];
  return raw.split(',').map((w) => parseWeight(w.trim(), 'steps'));
}

/** null: a plain deploy (nothing progressive was asked for). */
export function progressiveOptions(req: Request): ProgressiveOptions | null {
  const canary = option(req, 'canary');
  const base = NO_PROGRESSIVE.analysis;
  const p: ProgressiveOptions = {
    canary: canary === undefined || canary === '' ? null : parseWeight(canary, 'canary'),
    steps: steps(req),
    stepMs: number(req, 'stepMs', 100, MAX_MS),
    autoPromote: !flag(req, 'noAutoPromote'),
    analysis: {
      maxErrorRatePct: number(req, 'maxErrorRate', 0, 100, false),
      maxP99Ms: number(req, 'maxP99Ms', 1, MAX_MS),
      windowMs: number(req, 'analysisWindowMs', 1, MAX_MS) ?? base.windowMs,
      minRequests: number(req, 'minRequests', 1, 1_000_000) ?? base.minRequests,
    },
    watchMs: number(req, 'watch', 100, MAX_MS),
  };
  const asked = p.canary !== null || p.steps.length > 0 || p.stepMs !== null || p.watchMs !== null || p.analysis.maxErrorRatePct !== null || p.analysis.maxP99Ms !== null;
  if (!asked) return null;
  if (p.canary === null && p.steps.length === 0 && p.watchMs === null) {
    throw new SlotswapError('bad_request', 'analysis limits (--max-error-rate, --max-p99-ms) judge a canary or a watch: add --canary <percent> or --watch <ms>');
  }
  return checkProgressive(p);
}

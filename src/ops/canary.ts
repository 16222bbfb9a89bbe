// The canary: the new slot takes a weight of the clients without the sticky cookie while the live slot stays live.
// Started as a deploy's last step, changed by `canary set` (or the steps), ended by promote or abort.
import { SlotswapError } from '../errors.js';
import type { SlotName } from '../config/config-types.js';
import { DEFAULT_ANALYSIS_MIN_REQUESTS, DEFAULT_ANALYSIS_WINDOW_MS, ANALYSIS_WINDOW_MAX_MS } from '../defaults.js';
import type { AnalysisRules, CanaryRecord, ReleaseInfo } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import type { Step } from './operation-runner.js';
import { slotFigures } from './canary-figures.js';
import { monitorCanary } from './canary-monitor.js';
import { watchStatus } from './analysis-watch.js';

/** A deploy's progressive options: a canary (with steps) and/or a watch, each judged by the analysis rules. */
export interface ProgressiveOptions {
  canary: number | null;
  steps: number[];
  stepMs: number | null;
  autoPromote: boolean;
  analysis: AnalysisRules;
  watchMs: number | null;
}

export const NO_PROGRESSIVE: ProgressiveOptions = {
  canary: null,
  steps: [],
  stepMs: null,
  autoPromote: true,
  analysis: { maxErrorRatePct: null, maxP99Ms: null, windowMs: DEFAULT_ANALYSIS_WINDOW_MS, minRequests: DEFAULT_ANALYSIS_MIN_REQUESTS },
  watchMs: null,
};

/** A canary weight: a whole percentage 0-100. */
export function parseWeight(value: unknown, name: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100) {
    throw new SlotswapError('bad_request', `${name}: expected a whole percentage from 0 to 100, got ${JSON.stringify(String(value).slice(0, 40))}`);
  }
  return n;
}

/** Checks the options together: they are refused before anything is uploaded or changed. */
export function checkProgressive(p: ProgressiveOptions): ProgressiveOptions {
  if (p.steps.length > 0 && p.stepMs === null) throw new SlotswapError('bad_request', '--steps needs --step-ms <ms>: how long each weight holds before the next');
  if (p.stepMs !== null && p.steps.length === 0) throw new SlotswapError('bad_request', '--step-ms needs --steps <w1,w2,...>: the weights to advance through');
  for (let i = 1; i < p.steps.length; i++) {
    if (p.steps[i]! <= p.steps[i - 1]!) throw new SlotswapError('bad_request', `--steps: expected rising weights like 10,25,50, got ${p.steps.join(',')}`);
  }
  if (p.analysis.windowMs < 1000 || p.analysis.windowMs > ANALYSIS_WINDOW_MAX_MS) {
    throw new SlotswapError('bad_request', `--analysis-window-ms: expected 1000 to ${ANALYSIS_WINDOW_MAX_MS}, got ${p.analysis.windowMs}`);
  }
  return p;
}

export function isProgressiveCanary(p: ProgressiveOptions | null | undefined): boolean {
  return !!p && (p.canary !== null || p.steps.length > 0);
}

export function requireCanary(orch: Orchestrator): CanaryRecord {
  const canary = orch.store.data.canary;
  if (!canary) throw new SlotswapError('conflict', 'no canary runs; start one with slotswap deploy <release> --canary <percent>');
  return canary;
}

interface CanaryStepContext {
  to: SlotName;
  from: SlotName | null;
  release: ReleaseInfo | null;
  fromVersion: string | null;
}

/** The deploy's last step instead of the flip: the new slot takes the first weight, the live slot stays live. */
export function canaryStep<C extends CanaryStepContext>(orch: Orchestrator, p: ProgressiveOptions, deployId: () => string): Step<C> {
  return {
    name: 'canary',
    run: async (ctx) => {
      if (!ctx.from) throw new SlotswapError('conflict', 'a canary needs a live slot to compare with; deploy without --canary first');
      const weight = p.canary ?? p.steps[0]!;
      const now = new Date().toISOString();
      const record: CanaryRecord = {
        deployId: deployId(),
        slot: ctx.to,
        version: ctx.release!.version,
        fromSlot: ctx.from,
        fromVersion: ctx.fromVersion,
        weight,
        startedAt: now,
        steps: p.steps.filter((w) => w > weight),
        stepMs: p.stepMs,
        weightSince: now,
        autoPromote: p.autoPromote,
        analysis: p.analysis,
        watchMs: p.watchMs,
      };
      await orch.store.setCanary(record);
      orch.publish(`canary ${weight} % on slot ${ctx.to}`);
      monitorCanary(orch);
      return `slot ${ctx.to} (${record.version}) takes ${weight} % of new clients; slot ${ctx.from} stays live`;
    },
    undo: {
      name: 'end canary',
      applies: () => !!orch.store.data.canary,
      run: async () => {
        await orch.store.setCanary(null);
        orch.publish('canary ended');
      },
    },
  };
}

/**
 * `canary set <percent>` (actor: the operator; the steps stop, the rollout is in the operator's hands), or the next
 * of the steps (actor "steps", `rest` the weights still to come).
 */
export async function setCanaryWeight(orch: Orchestrator, actor: string, weight: number, rest: number[] | null = null) {
  const canary = requireCanary(orch);
  const outcome = await orch.runner.run({
    op: 'canary',
    actor,
    slot: canary.slot,
    fromVersion: canary.fromVersion,
    context: {},
    checks: [{ name: 'check', run: () => `canary on slot ${requireCanary(orch).slot} at ${requireCanary(orch).weight} %` }],
    steps: [
      {
        name: 'weight',
        run: async () => {
          const current = requireCanary(orch);
          const steps = rest ?? [];
          await orch.store.setCanary({ ...current, weight, steps, stepMs: rest === null ? null : current.stepMs, weightSince: new Date().toISOString() });
          orch.publish(`canary weight ${weight} %`);
          return `slot ${current.slot} takes ${weight} % of new clients (was ${current.weight} %)${steps.length ? `; next ${steps.join(', ')} %` : ''}`;
        },
      },
    ],
    toVersion: () => canary.version,
  });
  return { id: outcome.id, canary: canaryStatus(orch) };
}

/** What status shows of the canary: the record, and the analysis' figures of both slots over its window. */
export function canaryStatus(orch: Orchestrator) {
  const canary = orch.store.data.canary;
  // A canary whose slot went live (a promotion cut short by a crash) or stopped is over.
  const running = canary && orch.store.data.live === canary.fromSlot && orch.store.data.slots[canary.slot].state === 'ready';
  if (!canary || !running) return null;
  const windowMs = canary.analysis.windowMs;
  const nextStepInMs = canary.stepMs !== null && (canary.steps.length > 0 || canary.autoPromote) ? Math.max(0, Date.parse(canary.weightSince) + canary.stepMs - Date.now()) : null;
  return {
    ...canary,
    nextStepInMs,
    figures: { canary: slotFigures(orch, canary.slot, windowMs), live: slotFigures(orch, canary.fromSlot, windowMs) },
  };
}

/** status.canary and status.watch together, for GET /api/status. */
export function progressiveStatus(orch: Orchestrator) {
  return { canary: canaryStatus(orch), watch: watchStatus(orch) };
}

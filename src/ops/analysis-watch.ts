// --watch <ms>: after a flip the old slot keeps running that long (not drained) while the analysis judges the new
// live slot; a breach flips back at once (the instant rollback), and only a release that passed lets the old one drain.
import { setTimeout as sleep } from 'node:timers/promises';
import type { SlotName } from '../config/config-types.js';
import { ANALYSIS_TICK_MS } from '../defaults.js';
import { isErrorCode } from '../errors.js';
import type { AnalysisRules, AnalysisVerdict } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import type { Ending, Step } from './operation-runner.js';
import { drainSteps } from './drain.js';
import { flipToRunningSlot } from './flip.js';
import { describeVerdict, hasRules } from './analysis.js';
import { judgeSlot, slotFigures } from './canary-figures.js';
import { settleRollout } from './canary-rollouts.js';

export interface WatchContext {
  /** Set when the watch rolled the release back. */
  verdict: AnalysisVerdict | null;
}

interface Watching {
  slot: SlotName;
  oldSlot: SlotName;
  until: number;
  rules: AnalysisRules;
}

const watches = new WeakMap<Orchestrator, Watching>();

/** The history entry of a rolled-back release ends "rolled-back", with the rule and its figures. */
export function watchEnding(ctx: WatchContext): Ending | null {
  return ctx.verdict ? { outcome: 'rolled-back', error: `rolled back: ${describeVerdict(ctx.verdict)}`, analysis: ctx.verdict } : null;
}

const isConflict = (err: unknown) => err instanceof Error && 'code' in err && isErrorCode(err.code) && err.code === 'conflict';

/** The steps after a flip from oldSlot to newSlot: watch (when watchMs is set), then drain and stop the old slot. */
export function watchedDrainSteps<C extends WatchContext>(orch: Orchestrator, oldSlot: SlotName, newSlot: SlotName, watchMs: number | null, rules: AnalysisRules, rolloutId: () => string): Step<C>[] {
  const drain = drainSteps<C>(orch, oldSlot);
  if (watchMs === null) return drain;
  const watch: Step<C> = {
    name: 'watch',
    run: async (ctx) => {
      const until = Date.now() + watchMs;
      watches.set(orch, { slot: newSlot, oldSlot, until, rules });
      try {
        while (Date.now() < until) {
          if (orch.store.data.live !== newSlot) return `ended early: slot ${newSlot} is no longer live`;
          const verdict = hasRules(rules) ? judgeSlot(orch, newSlot, oldSlot, rules) : null;
          if (verdict) {
            try {
              await flipToRunningSlot(orch, 'rollback', 'analysis');
            } catch (err) {
              // Another operation holds the lock: judge again and flip at the next tick.
              if (isConflict(err)) {
                await sleep(ANALYSIS_TICK_MS);
                continue;
              }
              throw err;
            }
            ctx.verdict = verdict;
            const message = `rolled back: ${describeVerdict(verdict)}`;
            settleRollout(rolloutId(), { outcome: 'rolled-back', message, verdict });
            return message;
          }
          await sleep(ANALYSIS_TICK_MS);
        }
        settleRollout(rolloutId(), { outcome: 'promoted', message: `slot ${newSlot} passed ${watchMs} ms of watch`, verdict: null });
        return `slot ${newSlot} passed ${watchMs} ms of watch`;
      } finally {
        watches.delete(orch);
      }
    },
  };
  // After a rollback the old slot is live again: it must not be drained.
  const unlessLiveAgain = (step: Step<C>): Step<C> => ({ ...step, run: (ctx) => (ctx.verdict || orch.store.data.live === oldSlot ? `skipped: slot ${oldSlot} is live again` : step.run(ctx)) });
  return [watch, ...drain.map(unlessLiveAgain)];
}

/** What status shows of a watch in progress. */
export function watchStatus(orch: Orchestrator) {
  const w = watches.get(orch);
  if (!w) return null;
  return { slot: w.slot, oldSlot: w.oldSlot, leftMs: Math.max(0, w.until - Date.now()), analysis: w.rules, figures: { live: slotFigures(orch, w.slot, w.rules.windowMs), old: slotFigures(orch, w.oldSlot, w.rules.windowMs) } };
}

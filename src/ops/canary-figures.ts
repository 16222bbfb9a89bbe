// The analysis' figures for a slot, read from the proxy's per-slot counts, and the verdict on them.
import { performance } from 'node:perf_hooks';
import type { SlotName } from '../config/config-types.js';
import type { WindowFigures } from '../proxy/answer-window.js';
import type { AnalysisRules, AnalysisVerdict } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import { judge } from './analysis.js';

const NONE: WindowFigures = { requests: 0, errors: 0, errorRatePct: 0, p99Ms: null };

export function slotFigures(orch: Orchestrator, slot: SlotName, windowMs: number): WindowFigures {
  const counts = orch.proxy?.meter.current(slot);
  return counts ? counts.window.figures(performance.now(), windowMs) : NONE;
}

/** The verdict on `slot` against `other` over the rules' window (null: it passes, or too few answers yet). */
export function judgeSlot(orch: Orchestrator, slot: SlotName, other: SlotName, rules: AnalysisRules): AnalysisVerdict | null {
  const version = orch.store.data.slots[slot].release?.version ?? null;
  return judge(rules, slot, version, slotFigures(orch, slot, rules.windowMs), slotFigures(orch, other, rules.windowMs), new Date());
}

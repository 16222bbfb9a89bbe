// The one operation runner: it owns the lock, the history entry, the step events, the journal and the failure path.
// An operation is a plan (a list of named steps, each with an undo where it changed something); the runner runs
// them in order and, on failure, undoes the steps that ran in reverse order.
import { performance } from 'node:perf_hooks';
import { SlotswapError, toSlotswapError } from '../errors.js';
import type { SlotName } from '../config/config-types.js';
import { newHistoryEntry, type AnalysisVerdict, type HistoryEntry, type Journal, type Outcome, type StepRecord } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import { crashPoint } from './crash-points.js';

export interface Step<C> {
  name: string;
  /** Does the work and returns the line the history and the CLI show for it. */
  run: (ctx: C) => Promise<string | void> | string | void;
  /** Takes back what `run` did (it also runs after `run` itself failed half-way, so it must cope with partial work). */
  undo?: { name: string; run: (ctx: C) => Promise<string | void> | string | void; applies?: (ctx: C) => boolean };
  /** Written to the state file before the step runs: start-up finishes or undoes the operation from it after a crash. */
  journal?: (ctx: C) => Journal;
}

export interface OperationPlan<C> {
  /** The history's name for it (deploy, rollback, hotswap ...). */
  op: string;
  /** What the lock and a refused second operation call it; defaults to op. */
  lockName?: string;
  actor: string;
  slot: SlotName | null;
  fromVersion: string | null;
  context: C;
  /** Steps that only check: a refusal there leaves no history entry (nothing was changed). */
  checks?: Step<C>[];
  /** The operation's steps, under the lock. */
  steps: Step<C>[];
  /** Steps after the lock is let go (drain, stop): the history entry ends when they do; they have no undo. */
  after?: Step<C>[];
  toVersion?: (ctx: C) => string | null;
  /** Shapes the error of a failed step once the undos ran (e.g. "the previous version is back"); a check's refusal is thrown as it is. */
  failure?: (error: SlotswapError, ctx: C, undone: boolean) => SlotswapError;
  /** How the entry ends once the `after` steps are over, when not plainly ok (a watched release rolled back). */
  ending?: (ctx: C) => Ending | null;
  /** false: events only, no history entry (start-up restore). */
  record?: boolean;
}

export interface Ending {
  outcome: Outcome;
  error: string | null;
  analysis?: AnalysisVerdict | null;
}

export interface OperationOutcome<C> {
  id: string;
  context: C;
  entry: HistoryEntry;
  /** Resolves once the `after` steps are over and the history entry is ended. */
  done: Promise<void>;
}

export class OperationRunner {
  readonly #orch: Orchestrator;

  constructor(orch: Orchestrator) {
    this.#orch = orch;
  }

  /** Runs a plan; throws a conflict at once when another operation holds the lock. */
  async run<C>(plan: OperationPlan<C>, onEntry?: (id: string) => void): Promise<OperationOutcome<C>> {
    const orch = this.#orch;
    const lock = orch.lock.acquire(plan.lockName ?? plan.op);
    const entry = newHistoryEntry(plan.op, plan.actor, plan.slot, plan.fromVersion);
    onEntry?.(entry.id);
    const ctx = plan.context;
    const ran: Step<C>[] = [];
    let recorded = false;
    let lockHeld = true;
    // A refusal of the checks touched nothing: it is not shaped as a failed operation ("the previous version is back").
    let checked = false;
    try {
      // The entry object is the one in the state's history: each write records how far it got.
      const track = () => (entry.toVersion = plan.toVersion?.(ctx) ?? entry.toVersion);
      for (const step of plan.checks ?? []) {
        ran.push(step);
        await this.#step(entry, plan.op, step, ctx);
        track();
      }
      checked = true;
      if (plan.record !== false) {
        await orch.store.beginOperation(entry);
        recorded = true;
      }
      for (const step of plan.steps) {
        crashPoint(plan.op, `before:${step.name}`);
        if (step.journal && recorded) await orch.store.setJournal(entry.id, step.journal(ctx));
        ran.push(step);
        await this.#step(entry, plan.op, step, ctx);
        track();
      }
      lock.release();
      lockHeld = false;
      const done = this.#after(plan, entry, ctx, recorded);
      return { id: entry.id, context: ctx, entry, done };
    } catch (err) {
      let error = toSlotswapError(err);
      const undone = await this.#undo(entry, plan.op, ran, ctx, error, recorded);
      if (plan.failure && checked) error = plan.failure(error, ctx, undone);
      entry.toVersion = plan.toVersion?.(ctx) ?? entry.toVersion;
      if (recorded) await this.#end(entry, 'failed', error);
      throw error;
    } finally {
      if (lockHeld) lock.release();
    }
  }

  async #after<C>(plan: OperationPlan<C>, entry: HistoryEntry, ctx: C, recorded: boolean): Promise<void> {
    try {
      for (const step of plan.after ?? []) {
        crashPoint(plan.op, `before:${step.name}`);
        await this.#step(entry, plan.op, step, ctx);
      }
      const ending = plan.ending?.(ctx) ?? null;
      if (recorded) await this.#end(entry, ending?.outcome ?? 'ok', null, ending);
    } catch (err) {
      if (recorded) await this.#end(entry, 'failed', toSlotswapError(err));
    }
  }

  /**
   * Undoes what ran, newest first; returns false when an undo itself failed (the history says which). Before the
   * operation was recorded (a refused check) the undos only clean up: they run without step events.
   */
  async #undo<C>(entry: HistoryEntry, op: string, ran: Step<C>[], ctx: C, cause: SlotswapError, recorded: boolean): Promise<boolean> {
    let clean = true;
    for (const step of [...ran].reverse()) {
      if (!step.undo || step.undo.applies?.(ctx) === false) continue;
      try {
        if (recorded) await this.#step(entry, op, { name: step.undo.name, run: step.undo.run }, ctx);
        else await step.undo.run(ctx);
      } catch (err) {
        clean = false;
        console.error(`slotswap: ${op}: undo "${step.undo.name}" failed after "${cause.message.split('\n')[0]}": ${toSlotswapError(err).message}`);
      }
    }
    return clean;
  }

  async #end(entry: HistoryEntry, outcome: Outcome, error: SlotswapError | null, ending: Ending | null = null): Promise<void> {
    const logTail = error?.details?.logTail ?? [];
    const text = error ? error.message + (logTail.length ? `\n${logTail.join('\n')}` : '') : (ending?.error ?? null);
    try {
      await this.#orch.endOperation(entry, { outcome, error: text, toVersion: entry.toVersion, ...(ending?.analysis ? { analysis: ending.analysis } : {}) });
    } catch (err) {
      // The end stays in memory and lands with the next write; start-up marks an entry left running as interrupted.
      console.error(`slotswap: could not record the end of ${entry.op} ${entry.id}: ${toSlotswapError(err).message}`);
    }
  }

  async #step<C>(entry: HistoryEntry, op: string, step: Pick<Step<C>, 'name' | 'run'>, ctx: C): Promise<void> {
    const events = this.#orch.events;
    const base = { type: 'step' as const, id: entry.id, op, step: step.name };
    events.publish({ ...base, phase: 'begin', at: new Date().toISOString() });
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
    try {
      const detail = (await step.run(ctx)) ?? undefined;
      const ms = elapsed();
      record(entry, { name: step.name, ms, ok: true, ...(detail ? { detail } : {}) });
      events.publish({ ...base, phase: 'end', at: new Date().toISOString(), ms, ...(detail ? { detail } : {}) });
    } catch (err) {
      const ms = elapsed();
      const detail = toSlotswapError(err).message;
      record(entry, { name: step.name, ms, ok: false, detail });
      events.publish({ ...base, phase: 'fail', at: new Date().toISOString(), ms, detail });
      throw err;
    }
  }
}

function record(entry: HistoryEntry, step: StepRecord): void {
  entry.steps.push(step);
}

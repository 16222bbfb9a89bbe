// An operation as a sequence of named, timed steps; each step emits begin/end/fail and lands in the history entry.
import { performance } from 'node:perf_hooks';
import { toSlotswapError } from '../errors.js';
import type { HistoryEntry, StepRecord } from '../state/state-types.js';
import type { EventBus } from './operation-events.js';

export class OperationRun {
  readonly op: string;
  readonly entry: HistoryEntry;
  readonly #events: EventBus;

  constructor(op: string, entry: HistoryEntry, events: EventBus) {
    this.op = op;
    this.entry = entry;
    this.#events = events;
  }

  get id(): string {
    return this.entry.id;
  }

  async step<T>(name: string, work: () => Promise<T>, describe?: (value: T) => string): Promise<T> {
    this.#events.publish({ type: 'step', id: this.id, op: this.op, step: name, phase: 'begin', at: new Date().toISOString() });
    const started = performance.now();
    try {
      const value = await work();
      const ms = Math.round((performance.now() - started) * 1000) / 1000;
      const detail = describe?.(value);
      this.#record({ name, ms, ok: true, ...(detail ? { detail } : {}) });
      this.#events.publish({ type: 'step', id: this.id, op: this.op, step: name, phase: 'end', at: new Date().toISOString(), ms, ...(detail ? { detail } : {}) });
      return value;
    } catch (err) {
      const ms = Math.round((performance.now() - started) * 1000) / 1000;
      const detail = toSlotswapError(err).message;
      this.#record({ name, ms, ok: false, detail });
      this.#events.publish({ type: 'step', id: this.id, op: this.op, step: name, phase: 'fail', at: new Date().toISOString(), ms, detail });
      throw err;
    }
  }

  #record(step: StepRecord): void {
    this.entry.steps.push(step);
  }
}

/** A step of `run` when there is one (an operation), else the bare work (start-up, a drain without a record). */
export function runStep<T>(run: OperationRun | null, name: string, work: () => Promise<T>, describe?: (value: T) => string): Promise<T> {
  return run ? run.step(name, work, describe) : work();
}

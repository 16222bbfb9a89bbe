// Progress events: the CLI, the admin page, the history and the daemon's console all read these same events.
import { EventEmitter } from 'node:events';

export type StepPhase = 'begin' | 'end' | 'fail';

export interface StepEvent {
  type: 'step';
  id: string;
  op: string;
  step: string;
  phase: StepPhase;
  at: string;
  ms?: number;
  detail?: string;
}

export interface ResultEvent {
  type: 'result';
  id: string;
  op: string;
  ok: boolean;
  at: string;
  error?: string;
  message?: string;
  [key: string]: unknown;
}

export interface StateEvent {
  type: 'state';
  at: string;
  reason: string;
}

/** A running step's progress (the health wait, once a second): `ms` since the step began, `detail` one line per instance. */
export interface ProgressEvent {
  type: 'progress';
  id: string;
  op: string;
  step: string;
  at: string;
  ms: number;
  detail: string;
}

/** An operation waits before it starts (a deploy --wait-drain for the idle slot's drain). */
export interface WaitEvent {
  type: 'wait';
  op: string;
  at: string;
  slot: string;
  message: string;
}

export type SlotswapEvent = StepEvent | ResultEvent | StateEvent | ProgressEvent | WaitEvent;

export class EventBus extends EventEmitter<{ event: [SlotswapEvent] }> {
  publish(event: SlotswapEvent): void {
    this.emit('event', event);
  }
}

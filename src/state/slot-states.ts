// Slot lifecycle: the states a slot can be in and the only transitions allowed between them.
import { SlotswapError } from '../errors.js';

export type SlotState = 'empty' | 'starting' | 'ready' | 'live' | 'draining' | 'stopping' | 'stopped' | 'failed';

export const SLOT_STATES: readonly SlotState[] = ['empty', 'starting', 'ready', 'live', 'draining', 'stopping', 'stopped', 'failed'];

const TRANSITIONS: Record<SlotState, readonly SlotState[]> = {
  empty: ['starting'],
  starting: ['ready', 'failed', 'stopping'],
  ready: ['live', 'stopping'],
  live: ['draining', 'stopping'],
  draining: ['live', 'stopping'],
  stopping: ['stopped', 'failed'],
  stopped: ['starting'],
  failed: ['starting'],
};

export function canTransition(from: SlotState, to: SlotState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(slot: string, from: SlotState, to: SlotState): void {
  if (!canTransition(from, to)) {
    throw new SlotswapError('conflict', `slot ${slot} cannot go from ${from} to ${to}; expected one of ${TRANSITIONS[from].join(', ')}`);
  }
}

/** Slots whose processes run and may receive requests. */
export function isServing(state: SlotState): boolean {
  return state === 'live' || state === 'draining';
}

/** A deploy may land only on a slot in one of these states. */
export function isIdle(state: SlotState): boolean {
  return state === 'empty' || state === 'stopped' || state === 'failed';
}

// Drain: the old slot keeps serving what is bound to it, then stops once idle (after the grace) or at the deadline.
import type { SlotName } from '../config/config-types.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { DRAIN_POLL_MS } from '../defaults.js';
import type { DrainProgress, Orchestrator } from './orchestrator.js';
import type { Step } from './operation-runner.js';
import { stopSlot } from './slot-lifecycle.js';
import type { LongLivedClosed } from '../slots/slot-runtime.js';

export interface DrainOutcome {
  cancelled: boolean;
  reason?: string;
  timedOut: boolean;
  ms: number;
  /** WebSockets sent close 1001 and event streams ended once drain.websocketGraceMs (or the deadline) passed. */
  longLived?: LongLivedClosed;
}

async function waitDrained(orch: Orchestrator, progress: DrainProgress): Promise<DrainOutcome> {
  const { idleMs } = orch.config.drain;
  const longLivedUntil = longLivedDeadline(orch, progress);
  const closed: LongLivedClosed = { webSockets: 0, eventStreams: 0 };
  for (;;) {
    const now = Date.now();
    const signal = progress.controller.signal;
    if (signal.aborted) return { cancelled: true, reason: typeof signal.reason === 'string' ? signal.reason : 'the slot is live again', timedOut: false, ms: now - progress.startedAt };
    // Past drain.websocketGraceMs (or at the deadline) long-lived connections are closed cleanly, ones opened since too.
    if (now >= longLivedUntil) {
      const r = orch.runtime.closeLongLived(progress.slot);
      closed.webSockets += r.webSockets;
      closed.eventStreams += r.eventStreams;
    }
    if (orch.busy(progress.slot) > 0) progress.lastBusyAt = now;
    if (now >= progress.graceUntil && now - progress.lastBusyAt >= idleMs) return { cancelled: false, timedOut: false, ms: now - progress.startedAt, longLived: closed };
    if (now >= progress.deadline) return { cancelled: false, timedOut: true, ms: now - progress.startedAt, longLived: closed };
    await sleep(DRAIN_POLL_MS);
  }
}

/** When a drain's WebSockets and event streams are closed: drain.websocketGraceMs after it began, never past its deadline. */
function longLivedDeadline(orch: Orchestrator, progress: DrainProgress): number {
  return Math.min(progress.startedAt + orch.config.drain.websocketGraceMs, progress.deadline);
}

function describeDrain(outcome: DrainOutcome): string {
  if (outcome.cancelled) return `cancelled: ${outcome.reason}`;
  const closed = outcome.longLived;
  const longLived = closed && closed.webSockets + closed.eventStreams > 0 ? `; ${closed.webSockets} WebSocket(s) sent close 1001, ${closed.eventStreams} event stream(s) ended` : '';
  return (outcome.timedOut ? `drain timeout reached after ${outcome.ms} ms` : `idle after ${outcome.ms} ms`) + longLived;
}

/** Registers a drain of a slot that was just flipped away from (a second call returns the first). */
function beginDrain(orch: Orchestrator, slot: SlotName): DrainProgress {
  const existing = orch.drains.get(slot);
  if (existing) return existing;
  const now = Date.now();
  const { graceMs, timeoutMs } = orch.config.drain;
  const progress: DrainProgress = {
    slot,
    startedAt: now,
    graceUntil: now + graceMs,
    deadline: now + timeoutMs,
    lastBusyAt: now,
    controller: new AbortController(),
    done: Promise.resolve(),
  };
  orch.drains.set(slot, progress);
  return progress;
}

/** The steps after a flip, once the lock is let go: drain the old slot, then stop it (unless it went live again). */
export function drainSteps<C>(orch: Orchestrator, slot: SlotName): Step<C>[] {
  let outcome: DrainOutcome | null = null;
  let finished: () => void = () => {};
  return [
    {
      name: 'drain',
      run: async () => {
        const progress = beginDrain(orch, slot);
        progress.done = new Promise<void>((resolve) => (finished = resolve));
        try {
          outcome = await waitDrained(orch, progress);
        } finally {
          if (outcome?.cancelled !== false) {
            orch.drains.delete(slot);
            finished();
          }
        }
        return describeDrain(outcome);
      },
    },
    {
      name: 'stop',
      run: async () => {
        try {
          if (outcome?.cancelled) return `not stopped: ${outcome.reason ?? 'the drain was cancelled'}`;
          const r = await stopSlot(orch, slot);
          return `stopped; ${r.closedWebSockets} WebSocket(s) closed`;
        } finally {
          orch.drains.delete(slot);
          finished();
        }
      },
    },
  ];
}

/** Cancels a running drain (the slot goes live again) and waits until the drain loop has let go. */
export async function cancelDrain(orch: Orchestrator, slot: SlotName): Promise<void> {
  const progress = orch.drains.get(slot);
  if (!progress) return;
  progress.controller.abort('the slot is live again');
  await progress.done.catch(() => {});
}

export function drainStatus(orch: Orchestrator, slot: SlotName) {
  const progress = orch.drains.get(slot);
  if (!progress) return null;
  const now = Date.now();
  const idleNeededMs = orch.config.drain.idleMs;
  const idleMs = now - progress.lastBusyAt;
  const graceLeftMs = Math.max(0, progress.graceUntil - now);
  const timeLeftMs = Math.max(0, progress.deadline - now);
  return {
    startedAt: new Date(progress.startedAt).toISOString(),
    graceMs: progress.graceUntil - progress.startedAt,
    timeoutMs: progress.deadline - progress.startedAt,
    inFlight: orch.busy(slot),
    idleMs,
    graceLeftMs,
    timeLeftMs,
    /** Open WebSockets on the slot; they get close 1001 (and event streams their end) in longLivedLeftMs. */
    webSockets: orch.runtime.webSockets(slot),
    longLivedLeftMs: Math.max(0, longLivedDeadline(orch, progress) - now),
    /** drain.idleMs: how long the slot must see no request, once the grace is over, to stop. */
    idleNeededMs,
    /** When it stops if nothing more comes in: the grace's end, or idleNeededMs after the last request (never past the deadline). */
    earliestStopInMs: Math.min(timeLeftMs, Math.max(graceLeftMs, idleNeededMs - idleMs, 0)),
  };
}

// An instance that exits on its own is restarted with backoff; one that keeps crashing is given up on,
// reported in status and history, instead of being restarted forever.
import { setTimeout as sleep } from 'node:timers/promises';
import { SlotswapError, toSlotswapError } from '../errors.js';
import type { SlotName } from '../config/config-types.js';
import { isServing } from '../state/slot-states.js';
import { newHistoryEntry } from '../state/state-types.js';
import type { InstanceProcess } from '../slots/instance-process.js';
import { CRASH_LOOP_LIMIT, CRASH_LOOP_WINDOW_MS, RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MIN_MS } from '../defaults.js';
import type { Orchestrator } from './orchestrator.js';

async function reportCrashLoop(orch: Orchestrator, slot: SlotName, instance: InstanceProcess): Promise<void> {
  const label = instance.spec.label;
  orch.runtime.markCrashLoop(label);
  const entry = newHistoryEntry('crash-loop', 'supervisor', slot, orch.store.data.slots[slot].release?.version ?? null);
  entry.outcome = 'failed';
  entry.error = `instance ${label} exited ${CRASH_LOOP_LIMIT} times within ${CRASH_LOOP_WINDOW_MS / 1000} s; not restarted again (${instance.describeExit()}). Deploy a fixed release or roll back.\n${(await instance.log.tail()).join('\n')}`;
  await orch.store.recordOperation(entry);
  console.error(`slotswap: ${entry.error.split('\n')[0]}`);
  orch.publish(`instance ${label} crash-looping`);
}

/**
 * Restarts instance `index` of `slot` until it is healthy again, or gives up on a crash loop. `generation` is the
 * slot's instance set when it crashed: once an operation stops or restarts the slot, the restart is its business.
 */
async function recover(orch: Orchestrator, slot: SlotName, index: number, crashed: InstanceProcess, generation: number): Promise<void> {
  const times = orch.runtime.restartTimes(crashed.spec.label);
  const superseded = (): boolean => orch.supervisor.generation(slot) !== generation;
  let last = crashed;
  for (;;) {
    const now = Date.now();
    while (times.length > 0 && times[0]! < now - CRASH_LOOP_WINDOW_MS) times.shift();
    if (times.length >= CRASH_LOOP_LIMIT) return reportCrashLoop(orch, slot, last);
    await sleep(Math.min(RESTART_BACKOFF_MIN_MS * 2 ** times.length, RESTART_BACKOFF_MAX_MS));
    const release = orch.store.data.slots[slot].release;
    // Only a slot that still serves is worth restarting, and only if nobody replaced the instance meanwhile.
    if (superseded() || !release || !isServing(orch.store.data.slots[slot].state) || orch.supervisor.instances(slot)[index] !== last) return;
    times.push(Date.now());
    try {
      const fresh = await orch.supervisor.respawn(slot, index, release.health);
      // The operation that stopped the slot meanwhile stopped this process with it.
      if (superseded()) return;
      orch.runtime.replaceInstance(slot, index, fresh);
      console.log(`slotswap: instance ${fresh.spec.label} restarted as pid ${fresh.pid}`);
      return;
    } catch (err) {
      if (superseded()) return;
      const error = toSlotswapError(err);
      console.error(`slotswap: restart of ${crashed.spec.label} failed: ${error.message}`);
      last = orch.supervisor.instances(slot)[index] ?? last;
      // An unexpected error (not a failed start) will not go away by trying again.
      if (!(err instanceof SlotswapError)) return;
    }
  }
}

export function watchInstances(orch: Orchestrator): void {
  // Label -> the slot generation its restart loop works in: a process that loop restarted and that dies is the loop's
  // failure, not a second crash; a crash in a newer generation gets its own loop (the old one ends when it wakes).
  const recovering = new Map<string, number>();
  orch.supervisor.onUnexpectedExit = (slot, instance) => {
    const index = orch.supervisor.instances(slot).indexOf(instance);
    const label = instance.spec.label;
    // Its sockets are dead: no request may be sent there until a new process is healthy.
    orch.runtime.instanceExited(slot, index);
    const generation = orch.supervisor.generation(slot);
    if (recovering.get(label) === generation) return;
    // One that never became healthy is the starting operation's: its health wait fails and undoes the start.
    if (orch.runtime.starting(slot)) {
      console.error(`slotswap: ${instance.describeExit()} before it was healthy; the operation starting it reports it`);
      return;
    }
    console.error(`slotswap: ${instance.describeExit()} unexpectedly`);
    if (index < 0) return;
    recovering.set(label, generation);
    // Recovery runs on its own; a failure in it (a state write that fails) is logged, never an unhandled rejection.
    recover(orch, slot, index, instance, generation)
      .catch((err: unknown) => console.error(`slotswap: recovery of ${label} failed: ${toSlotswapError(err).message}`))
      .finally(() => {
        if (recovering.get(label) === generation) recovering.delete(label);
      });
  };
}

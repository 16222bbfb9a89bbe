// At start-up: the instances a previous daemon left running (killed with -9, or handing over on `slotswap restart`)
// are taken over instead of being stopped and started again, when they are exactly the processes the state records.
import { SLOT_NAMES, type SlotName } from '../config/config-types.js';
import { SlotswapError } from '../errors.js';
import type { Orchestrator } from '../ops/orchestrator.js';
import { reapStrayInstances } from '../slots/stray-instances.js';

export interface Adoption {
  slots: Set<SlotName>;
  notes: string[];
}

/**
 * Slots whose instances are kept: the live one, and on a handover one still draining (its clients are bound to it).
 * After a crash a draining slot is stopped as before: how long it had drained is not known, and its stop is then one
 * deterministic step of recovery instead of a drain racing the first requests.
 */
function keptSlots(orch: Orchestrator, handover: boolean): SlotName[] {
  const data = orch.store.data;
  return SLOT_NAMES.filter((slot) => data.slots[slot].release && (slot === data.live || (handover && data.slots[slot].state === 'draining')));
}

/**
 * Adopts what can be adopted, then reaps every other recorded orphan. On a handover (`strict`) an instance that
 * cannot be adopted is an error and nothing is reaped: those processes still serve through the old daemon.
 */
export async function adoptInstances(orch: Orchestrator, strict: boolean): Promise<Adoption> {
  // Read once: adopting rewrites the file, and what it does not adopt must still be reaped from this list.
  const records = await orch.supervisor.pidFile.read();
  const adoption: Adoption = { slots: new Set(), notes: [] };
  const pending = orch.store.data.pending;
  for (const slot of keptSlots(orch, strict)) {
    const release = orch.store.data.slots[slot].release!;
    // An interrupted operation was changing this slot (an in-place swap): what runs there may be unchecked.
    if (pending?.slot === slot && !strict) {
      adoption.notes.push(`slot ${slot}: not adopted (an interrupted ${pending.op} was changing it); its instances are started again`);
      continue;
    }
    const result = await orch.runtime.adopt(slot, release, records);
    if ('pids' in result) {
      adoption.slots.add(slot);
      adoption.notes.push(`slot ${slot}: adopted ${release.name} ${release.version} still running as pid ${result.pids.join(', ')}`);
      continue;
    }
    if (strict) {
      throw new SlotswapError('operation_failed', `cannot take over slot ${slot} from the running daemon: ${result.why}. A restart keeps the running instances as they are: change slots.${slot}.port and instances back for the restart (they apply to the next deploy after a stop and start)`);
    }
    adoption.notes.push(`slot ${slot}: not adopted (${result.why}); its instances are started again`);
  }
  if (strict) return adoption;
  const adoptedPids = new Set(SLOT_NAMES.flatMap((slot) => orch.supervisor.instances(slot).map((i) => i.pid!)));
  for (const orphan of await orch.supervisor.pidFile.reapOrphans(adoptedPids, records)) adoption.notes.push(`stopped ${orphan}, left running by a previous daemon`);
  // A daemon killed between a spawn and its pid record leaves an instance no list names: found by folder and environment.
  const { config } = orch;
  const slots = SLOT_NAMES.map((slot) => ({ slot, dir: config.slots[slot].dir, ports: Array.from({ length: config.instances }, (_, i) => config.slots[slot].port + i) }));
  for (const stray of await reapStrayInstances(slots, adoptedPids, config.drain.stopTimeoutMs)) adoption.notes.push(`stopped ${stray}, left running by a previous daemon`);
  await orch.supervisor.flushPids();
  return adoption;
}

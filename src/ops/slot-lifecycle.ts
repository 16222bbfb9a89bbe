// Stopping a slot the proxy no longer routes to: recorded as stopping, torn down by the slot runtime, then stopped.
import type { SlotName } from '../config/config-types.js';
import type { StopResult } from '../slots/slot-runtime.js';
import type { Orchestrator } from './orchestrator.js';

export async function stopSlot(orch: Orchestrator, slot: SlotName): Promise<StopResult> {
  if (orch.store.data.slots[slot].state !== 'stopping') {
    await orch.store.setSlotState(slot, 'stopping');
    orch.publish(`slot ${slot} stopping`);
  }
  const result = await orch.runtime.stop(slot);
  await orch.store.setSlotState(slot, 'stopped');
  orch.publish(`slot ${slot} stopped`);
  return result;
}

// slotswap drain: show drain progress, or (--now) stop a draining slot at once, after its in-flight requests finish.
import { SlotswapError } from '../errors.js';
import { SLOT_NAMES, isSlotName, type SlotName } from '../config/config-types.js';
import type { Orchestrator } from './orchestrator.js';
import { drainStatus } from './drain.js';

export interface DrainRequest {
  slot: string | undefined;
  now: boolean;
}

export function parseDrainRequest(body: unknown): DrainRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || Array.isArray(b)) throw new SlotswapError('bad_request', 'expected a JSON object like {"slot": "a", "now": true}');
  for (const key of Object.keys(b)) if (key !== 'slot' && key !== 'now') throw new SlotswapError('bad_request', `unknown key ${JSON.stringify(key)}; expected slot and now`);
  if (b.slot !== undefined && typeof b.slot !== 'string') throw new SlotswapError('bad_request', `"slot": expected "a" or "b", got ${JSON.stringify(b.slot)}`);
  if (b.now !== undefined && typeof b.now !== 'boolean') throw new SlotswapError('bad_request', `"now": expected true or false, got ${JSON.stringify(b.now)}`);
  return { slot: b.slot as string | undefined, now: b.now === true };
}

function draining(orch: Orchestrator): SlotName[] {
  return SLOT_NAMES.filter((slot) => orch.drains.has(slot));
}

export async function drainOperation(orch: Orchestrator, request: DrainRequest) {
  if (request.slot !== undefined && !isSlotName(request.slot)) {
    throw new SlotswapError('not_found', `unknown slot ${JSON.stringify(request.slot.slice(0, 40))}; slots are a and b`);
  }
  const slots = request.slot ? [request.slot as SlotName] : draining(orch);
  if (request.now) {
    if (slots.length === 0) throw new SlotswapError('conflict', 'no slot is draining; there is nothing to stop');
    for (const slot of slots) {
      const progress = orch.drains.get(slot);
      if (!progress) throw new SlotswapError('conflict', `slot ${slot} is ${orch.store.data.slots[slot].state}, not draining; only a draining slot can be stopped with --now`);
      // The drain loop sees a passed deadline and moves on to the stop, which lets in-flight requests finish.
      progress.graceUntil = Date.now();
      progress.deadline = Date.now();
    }
    await Promise.all(slots.map((slot) => orch.drains.get(slot)?.done ?? Promise.resolve()));
  }
  return {
    slots: Object.fromEntries(
      (request.slot ? [request.slot as SlotName] : SLOT_NAMES).map((slot) => [slot, { state: orch.store.data.slots[slot].state, drain: drainStatus(orch, slot) }]),
    ),
  };
}

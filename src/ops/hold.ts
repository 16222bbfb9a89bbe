// Operator hold and resume: maintenance without refusing a request; both land in the history.
import { SlotswapError, toSlotswapError } from '../errors.js';
import { newHistoryEntry } from '../state/state-types.js';
import type { HoldStats } from '../proxy/hold-queue.js';
import type { Orchestrator } from './orchestrator.js';

export const OPERATOR_HOLD = 'operator';

export async function holdOperation(orch: Orchestrator, actor: string): Promise<HoldStats> {
  const proxy = orch.requireProxy();
  const already = proxy.holdStats().reasons.includes(OPERATOR_HOLD);
  proxy.hold(OPERATOR_HOLD);
  if (!already) {
    const entry = newHistoryEntry('hold', actor, orch.store.data.live, orch.liveVersion());
    entry.outcome = 'ok';
    entry.steps.push({ name: 'hold', ms: 0, ok: true, detail: 'new requests wait; in-flight ones finish' });
    try {
      await orch.store.recordOperation(entry);
    } catch (err) {
      // A hold that cannot be recorded is not kept: the operator is told it failed, so traffic must not wait.
      proxy.release(OPERATOR_HOLD);
      throw err;
    }
    orch.publish('hold on');
  }
  return proxy.holdStats();
}

export async function resumeOperation(orch: Orchestrator, actor: string): Promise<HoldStats & { heldMs: number; waiting: number; wasHeld: boolean }> {
  const proxy = orch.requireProxy();
  const before = proxy.holdStats();
  const heldMs = proxy.heldForMs();
  const wasHeld = before.reasons.includes(OPERATOR_HOLD);
  proxy.release(OPERATOR_HOLD);
  if (wasHeld) {
    const entry = newHistoryEntry('resume', actor, orch.store.data.live, orch.liveVersion());
    entry.outcome = 'ok';
    entry.steps.push({ name: 'resume', ms: heldMs, ok: true, detail: `held ${heldMs} ms; ${before.queued} request(s) waiting were replayed in arrival order` });
    try {
      await orch.store.recordOperation(entry);
    } catch (err) {
      // Requests flow again whatever the disk says; only the history entry is missing.
      const failure = toSlotswapError(err);
      throw new SlotswapError(failure.code, `requests were resumed and flow again, but ${failure.message}`);
    }
    orch.publish('hold off');
  }
  return { ...proxy.holdStats(), heldMs, waiting: before.queued, wasHeld };
}

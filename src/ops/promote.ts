// Promote: the canary slot becomes live by the deploy's own flip steps (persist, flip), the canary ends, and the old
// slot drains (after the --watch, if one was asked for, which rolls back on a breach).
import { SlotswapError } from '../errors.js';
import type { Orchestrator } from './orchestrator.js';
import { flipSteps, type FlipContext } from './flip.js';
import { requireCanary } from './canary.js';
import { settleRollout } from './canary-rollouts.js';
import { watchedDrainSteps, watchEnding, type WatchContext } from './analysis-watch.js';

export interface PromoteResult {
  id: string;
  slot: string;
  version: string;
  from: string;
  switchMs: number;
  watchMs: number | null;
}

export async function promoteCanary(orch: Orchestrator, actor: string): Promise<PromoteResult> {
  const canary = requireCanary(orch);
  const ctx: FlipContext & WatchContext = { to: canary.slot, from: canary.fromSlot, switchMs: 0, verdict: null };
  const outcome = await orch.runner.run({
    op: 'promote',
    actor,
    slot: canary.slot,
    fromVersion: canary.fromVersion,
    context: ctx,
    checks: [
      {
        name: 'check',
        run: () => {
          requireCanary(orch);
          const ups = orch.runtime.upstreams(canary.slot);
          if (orch.store.data.slots[canary.slot].state !== 'ready' || ups.length === 0 || ups.some((up) => !up.healthy)) {
            throw new SlotswapError('conflict', `the canary slot ${canary.slot} is ${orch.store.data.slots[canary.slot].state} with ${ups.filter((u) => u.healthy).length}/${ups.length} healthy instance(s); abort it instead (slotswap abort)`);
          }
          return `canary slot ${canary.slot} at ${canary.weight} %, ${ups.length} healthy instance(s)`;
        },
      },
    ],
    steps: [
      ...flipSteps<typeof ctx>(orch),
      {
        name: 'end canary',
        run: async () => {
          await orch.store.setCanary(null);
          orch.publish(`canary on slot ${canary.slot} promoted`);
          return `slot ${canary.slot} takes all traffic`;
        },
      },
    ],
    after: watchedDrainSteps(orch, canary.fromSlot, canary.slot, canary.watchMs, canary.analysis, () => canary.deployId),
    toVersion: () => canary.version,
    ending: watchEnding,
  });
  if (canary.watchMs === null) settleRollout(canary.deployId, { outcome: 'promoted', message: `slot ${canary.slot} (${canary.version}) promoted by ${actor}`, verdict: null });
  return { id: outcome.id, slot: canary.slot, version: canary.version, from: canary.fromSlot, switchMs: ctx.switchMs, watchMs: canary.watchMs };
}

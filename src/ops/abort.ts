// Abort: all traffic back to the live slot at once, then the canary slot drains and stops; the history says "aborted"
// (with the analysis rule and its figures when the analysis aborted it).
import type { AnalysisVerdict } from '../state/state-types.js';
import type { Orchestrator } from './orchestrator.js';
import { drainSteps } from './drain.js';
import { describeVerdict } from './analysis.js';
import { requireCanary } from './canary.js';
import { settleRollout } from './canary-rollouts.js';

export interface AbortResult {
  id: string;
  slot: string;
  version: string;
  backTo: string;
  message: string;
  verdict: AnalysisVerdict | null;
}

export async function abortCanary(orch: Orchestrator, actor: string, verdict: AnalysisVerdict | null = null): Promise<AbortResult> {
  const canary = requireCanary(orch);
  const message = verdict ? `aborted: ${describeVerdict(verdict)}` : `aborted by ${actor}`;
  const outcome = await orch.runner.run({
    op: 'abort',
    actor,
    slot: canary.slot,
    fromVersion: canary.version,
    context: {},
    checks: [{ name: 'check', run: () => `canary on slot ${requireCanary(orch).slot} at ${canary.weight} %` }],
    steps: [
      {
        name: 'route back',
        run: async () => {
          await orch.store.setCanary(null);
          orch.publish(`canary on slot ${canary.slot} aborted`);
          // The verdict shows at once (log, history steps); the entry's own error waits for the drain to end.
          return `all traffic on slot ${canary.fromSlot} (${canary.fromVersion ?? '-'})${verdict ? `; ${message}` : ''}`;
        },
      },
    ],
    after: drainSteps(orch, canary.slot),
    toVersion: () => canary.fromVersion,
    ending: () => ({ outcome: 'aborted', error: message, analysis: verdict }),
  });
  settleRollout(canary.deployId, { outcome: 'aborted', message, verdict });
  return { id: outcome.id, slot: canary.slot, version: canary.version, backTo: canary.fromSlot, message, verdict };
}

// While a canary runs: its analysis looks at the figures every ANALYSIS_TICK_MS and aborts on a breach; its steps
// advance the weight every stepMs and promote after the last one (unless autoPromote is off).
import { ANALYSIS_TICK_MS } from '../defaults.js';
import { isErrorCode } from '../errors.js';
import type { Orchestrator } from './orchestrator.js';
import { hasRules } from './analysis.js';
import { judgeSlot } from './canary-figures.js';
import { abortCanary } from './abort.js';
import { promoteCanary } from './promote.js';
import { canaryStatus, setCanaryWeight } from './canary.js';

const timers = new WeakMap<Orchestrator, NodeJS.Timeout>();
const busy = new WeakSet<Orchestrator>();

/** Starts watching the canary in the state file (once per daemon; it stops itself when the canary is over). */
export function monitorCanary(orch: Orchestrator): void {
  if (timers.has(orch)) return;
  const timer = setInterval(() => void tick(orch), ANALYSIS_TICK_MS);
  timer.unref();
  timers.set(orch, timer);
}

function stop(orch: Orchestrator): void {
  clearInterval(timers.get(orch));
  timers.delete(orch);
}

async function tick(orch: Orchestrator): Promise<void> {
  const canary = orch.store.data.canary;
  if (!canary) return stop(orch);
  // One decision at a time; another operation holding the lock (a conflict) means: look again next tick.
  if (busy.has(orch) || orch.lock.current) return;
  busy.add(orch);
  try {
    // Its slot is no longer up (a restart stopped it) or went live: the canary is over.
    if (canaryStatus(orch) === null) {
      await orch.store.setCanary(null);
      orch.publish('stale canary cleared');
      return stop(orch);
    }
    if (hasRules(canary.analysis)) {
      const verdict = judgeSlot(orch, canary.slot, canary.fromSlot, canary.analysis);
      if (verdict) {
        await abortCanary(orch, 'analysis', verdict);
        return;
      }
    }
    if (canary.stepMs === null || Date.now() - Date.parse(canary.weightSince) < canary.stepMs) return;
    if (canary.steps.length > 0) await setCanaryWeight(orch, 'steps', canary.steps[0]!, canary.steps.slice(1));
    else if (canary.autoPromote) await promoteCanary(orch, 'steps');
  } catch (err) {
    if (!(err instanceof Error && 'code' in err && isErrorCode(err.code) && err.code === 'conflict')) console.error(`slotswap: canary: ${(err as Error).message}`);
  } finally {
    busy.delete(orch);
  }
}

// How the CLI prints a canary and a watch: slot, version, weight, and the analysis figures beside the limits.
import type { Status } from '../ops/status.js';

type Figures = { requests: number; errors: number; errorRatePct: number; p99Ms: number | null };

const fig = (f: Figures) => `${f.requests} answers, ${f.errorRatePct.toFixed(1)} % errors, p99 ${f.p99Ms === null ? '-' : `${f.p99Ms.toFixed(1)} ms`}`;

function limits(a: { maxErrorRatePct: number | null; maxP99Ms: number | null; windowMs: number; minRequests: number }): string {
  const rules = [a.maxErrorRatePct !== null ? `error rate <= ${a.maxErrorRatePct} %` : null, a.maxP99Ms !== null ? `p99 <= ${a.maxP99Ms} ms` : null].filter(Boolean);
  return rules.length ? `${rules.join(', ')} over ${a.windowMs / 1000} s (at least ${a.minRequests} answers)` : 'no analysis rules';
}

export function formatCanary(canary: Status['canary'], watch: Status['watch']): string | null {
  const lines: string[] = [];
  if (canary) {
    lines.push(`canary: slot ${canary.slot} (${canary.version}) takes ${canary.weight} % of new clients; slot ${canary.fromSlot} (${canary.fromVersion ?? '-'}) live`);
    if (canary.nextStepInMs !== null) lines.push(`  next: ${canary.steps.length ? `${canary.steps[0]} %` : 'promote'} in ${Math.ceil(canary.nextStepInMs / 1000)} s`);
    lines.push(`  analysis: ${limits(canary.analysis)}`);
    lines.push(`  canary slot ${canary.slot}: ${fig(canary.figures.canary)}    live slot ${canary.fromSlot}: ${fig(canary.figures.live)}`);
  }
  if (watch) {
    lines.push(`watch: slot ${watch.slot} live, slot ${watch.oldSlot} kept running ${Math.ceil(watch.leftMs / 1000)} s more; ${limits(watch.analysis)}`);
    lines.push(`  slot ${watch.slot}: ${fig(watch.figures.live)}    slot ${watch.oldSlot}: ${fig(watch.figures.old)}`);
  }
  return lines.length ? lines.join('\n') : null;
}

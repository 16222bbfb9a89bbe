// The canary card (slot, version, weight, the analysis figures of both slots beside the limits) and the watch card.
import { $, h } from './dom-builder.js';

const pct = (n) => `${Number(n).toFixed(1)} %`;
const ms = (n) => (n === null || n === undefined ? '–' : `${Number(n).toFixed(1)} ms`);

function limits(a) {
  const rules = [a.maxErrorRatePct !== null ? `error rate ≤ ${a.maxErrorRatePct} %` : null, a.maxP99Ms !== null ? `p99 ≤ ${a.maxP99Ms} ms` : null].filter(Boolean);
  return rules.length ? `${rules.join(', ')} over ${a.windowMs / 1000} s, from ${a.minRequests} answers` : 'none (no automatic abort)';
}

/** One figures row: answers, errors, p99, as data attributes too (the browser test reads them). */
function figuresRow(label, role, f) {
  return [
    h('dt', null, label),
    h('dd', { dataset: { role, requests: String(f.requests), errorRate: String(f.errorRatePct) } }, `${f.requests} answers · ${pct(f.errorRatePct)} errors · p99 ${ms(f.p99Ms)}`),
  ];
}

export function renderCanary(canary, watch) {
  const card = $('canary-card');
  card.hidden = !canary;
  if (canary) {
    card.dataset.canarySlot = canary.slot;
    card.dataset.weight = String(canary.weight);
    $('canary-title').textContent = `Canary: slot ${canary.slot.toUpperCase()} (${canary.version}) · slot ${canary.fromSlot.toUpperCase()} (${canary.fromVersion ?? '?'}) stays live`;
    $('canary-weight').textContent = `${canary.weight} %`;
    const input = $('canary-weight-input');
    if (document.activeElement !== input) input.value = String(canary.weight);
    $('canary-next').textContent =
      canary.nextStepInMs !== null ? `Next: ${canary.steps.length ? `${canary.steps[0]} %` : 'promote'} in ${Math.ceil(canary.nextStepInMs / 1000)} s` : 'Weight set by hand: promote or abort when ready.';
    $('canary-figures').replaceChildren(
      h('dt', null, 'Analysis'),
      h('dd', null, limits(canary.analysis)),
      ...figuresRow(`Canary ${canary.slot.toUpperCase()}`, 'canary-figures', canary.figures.canary),
      ...figuresRow(`Live ${canary.fromSlot.toUpperCase()}`, 'live-figures', canary.figures.live),
    );
  }
  const watchCard = $('watch-card');
  watchCard.hidden = !watch;
  if (watch) {
    $('watch-title').textContent = `Watch: slot ${watch.slot.toUpperCase()} live, slot ${watch.oldSlot.toUpperCase()} kept running ${Math.ceil(watch.leftMs / 1000)} s more`;
    $('watch-figures').replaceChildren(
      h('dt', null, 'Analysis'),
      h('dd', null, limits(watch.analysis)),
      ...figuresRow(`Live ${watch.slot.toUpperCase()}`, 'watch-live-figures', watch.figures.live),
      ...figuresRow(`Old ${watch.oldSlot.toUpperCase()}`, 'watch-old-figures', watch.figures.old),
    );
  }
}

// The canary card's actions: set the weight, promote, abort, each confirmed, through the one act() of actions.js.
import { act } from './actions.js';
import { api } from './api-client.js';
import { $ } from './dom-builder.js';
import { showMessage } from './message-banner.js';
import { ui } from './page-state.js';

const canary = () => ui.status?.canary ?? null;

export function onCanarySet() {
  const weight = Number($('canary-weight-input').value);
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    showMessage('error', `The weight must be a whole percentage from 0 to 100, got ${JSON.stringify($('canary-weight-input').value)}.`);
    return;
  }
  const c = canary();
  void act('Set canary weight', `Send ${weight} % of new clients to slot ${String(c?.slot ?? '?').toUpperCase()}? (Automatic steps, if any, stop.)`, () => api('POST', 'api/canary', { json: { weight } }), (r) =>
    `Canary: slot ${String(r.canary?.slot ?? c?.slot).toUpperCase()} takes ${r.canary?.weight ?? weight} % of new clients.`,
  );
}

export function onPromote() {
  const c = canary();
  void act('Promote', `Promote: make slot ${String(c?.slot ?? '?').toUpperCase()} (${c?.version ?? '?'}) live for everyone, and drain slot ${String(c?.fromSlot ?? '?').toUpperCase()}?`, () => api('POST', 'api/promote'), (r) =>
    `Promoted: slot ${String(r.slot).toUpperCase()} (${r.version}) is live; slot ${String(r.from).toUpperCase()} ${r.watchMs ? `is watched for ${r.watchMs / 1000} s, then drains` : 'drains'}.`,
  );
}

export function onAbort() {
  const c = canary();
  void act('Abort', `Abort: send everyone back to slot ${String(c?.fromSlot ?? '?').toUpperCase()} and stop slot ${String(c?.slot ?? '?').toUpperCase()} (${c?.version ?? '?'})?`, () => api('POST', 'api/abort'), (r) =>
    `Aborted: all traffic back on slot ${String(r.backTo).toUpperCase()}; slot ${String(r.slot).toUpperCase()} drains and stops.`,
  );
}

// Everything /api/status shows: top bar, hold banner and Hold/Resume button, the slots (one in hotswap mode),
// manifest, public URL.
import { $, safeHref } from './dom-builder.js';
import { fmtMs } from './display-format.js';
import { SLOTS, ui } from './page-state.js';
import { renderManifest } from './render-manifest.js';
import { renderSlot } from './render-slots.js';
import { updateButtons } from './toolbar-buttons.js';
import { renderMaintenance } from './render-maintenance.js';
import { renderCanary } from './render-canary.js';

function renderHold(hold) {
  $('hold-banner').hidden = !hold.on;
  $('hold-queued').textContent = [
    `${hold.queued ?? 0} request${hold.queued === 1 ? '' : 's'} queued`,
    hold.since ? `for ${fmtMs(Date.now() - Date.parse(hold.since))}` : null,
    hold.reasons?.length ? `by ${hold.reasons.join(', ')}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  // Resume takes off the operator's hold only; a hold that a hotswap put on ends with the hotswap.
  const operatorHold = Array.isArray(hold.reasons) ? hold.reasons.includes('operator') : Boolean(hold.on);
  const holdBtn = $('btn-hold');
  holdBtn.textContent = operatorHold ? 'Resume' : 'Hold';
  holdBtn.dataset.action = operatorHold ? 'resume' : 'hold';
  holdBtn.classList.toggle('btn-warn', operatorHold);
  holdBtn.title = operatorHold ? 'Take requests off hold and replay the queue in arrival order' : 'Queue new requests instead of forwarding them (maintenance)';
}

export function renderStatus(s) {
  ui.status = s;
  ui.statusAt = Date.now();
  $('app-name').textContent = s.app ?? '';
  $('mode').textContent = s.mode ?? '';
  document.title = s.live ? `slotswap · ${s.app ?? ''} · ${s.live.toUpperCase()} live ${s.slots?.[s.live]?.version ?? ''}` : 'slotswap admin';

  const op = $('operation');
  op.hidden = !s.operation;
  if (s.operation) op.textContent = `${s.operation.op} running · ${fmtMs(Date.now() - s.operation.since)}`;

  renderHold(s.hold ?? { on: false, queued: 0 });
  renderMaintenance(s.maintenance);

  // Hotswap runs one slot, updated in place: its card alone, never an "empty" second one beside it.
  const hotswap = s.mode === 'hotswap';
  const shown = hotswap ? [s.live ?? 'a'] : SLOTS;
  $('slots').classList.toggle('single', hotswap);
  for (const name of SLOTS) {
    $(`slot-${name}`).hidden = !shown.includes(name);
    if (shown.includes(name)) renderSlot(name, s.slots?.[name], s.live === name, { hotswap });
  }
  renderManifest(s.manifest, s.manifestUrl);
  renderCanary(s.canary ?? null, s.watch ?? null);

  const pub = $('public-url');
  pub.textContent = s.publicUrl ?? '';
  if (safeHref(s.publicUrl)) pub.href = s.publicUrl;
  else pub.removeAttribute('href');
  $('updated-at').textContent = `status at ${new Date().toLocaleTimeString([], { hour12: false })}`;
  updateButtons();
}

// Which toolbar controls are shown (each mode's own), enabled, and their tooltips, for the status and busy flag.
import { $ } from './dom-builder.js';
import { fmtBytes, fmtTime } from './display-format.js';
import { SLOTS, ui } from './page-state.js';

const BUTTONS = ['btn-flip', 'btn-rollback', 'btn-drain', 'btn-hold', 'btn-deploy', 'btn-notice', 'btn-upload', 'btn-update', 'deploy-submit', 'notice-set', 'notice-clear', 'btn-canary-set', 'btn-promote', 'btn-abort'];

/** Controls marked data-mode="bluegreen" or "hotswap" are shown in that mode only; none before the mode is known. */
function showModeControls(mode) {
  for (const el of document.querySelectorAll('[data-mode]')) el.hidden = el.dataset.mode !== mode;
}

function blueGreenButtons(s) {
  const other = s.live === 'a' ? 'b' : s.live === 'b' ? 'a' : null;
  const target = other ? s.slots?.[other] : null;
  const canFlip = target && ['ready', 'draining'].includes(target.state) && target.total > 0 && target.healthy === target.total;
  $('btn-flip').disabled = !canFlip;
  $('btn-flip').title = canFlip
    ? `Make slot ${other.toUpperCase()} (${target.version}) live now`
    : other
      ? `Slot ${other.toUpperCase()} is ${target?.state ?? 'unknown'}: only a running, healthy slot can be flipped to (use Rollback or Deploy instead)`
      : 'No slot is live yet';
  const draining = SLOTS.filter((n) => s.slots?.[n]?.state === 'draining');
  $('btn-drain').disabled = draining.length === 0;
  $('btn-drain').title = draining.length ? `Stop slot ${draining.join(', ').toUpperCase()} as soon as its in-flight requests finish` : 'No slot is draining';
  $('btn-rollback').title = 'Return to the previous release: instant flip back while its slot still runs, else a redeploy from the kept archive';
  $('btn-deploy').title = 'Deploy a release .tgz to the idle slot, then flip to it once healthy';
}

function hotswapButtons() {
  $('btn-rollback').title = 'Swap the previous executable (<exeFile>.bak) back in: hold, stop, swap, start, health check, release';
  $('btn-upload').title = 'Upload a new server executable to the configured update file (nothing restarts yet)';
  const upload = ui.upload;
  $('btn-update').disabled = !upload?.pending;
  $('btn-update').title = upload?.pending
    ? `Hot-swap the uploaded executable in (${fmtBytes(upload.bytes)}, uploaded ${fmtTime(upload.mtime)}): hold, stop, swap, start, health check, release`
    : upload
      ? 'Nothing uploaded to swap in: upload an executable first (Upload Exe)'
      : 'Checking for an uploaded executable…';
}

export function updateButtons() {
  const s = ui.status;
  showModeControls(s?.mode ?? null);
  for (const b of BUTTONS.map($)) b.disabled = ui.busy;
  if (!s || ui.busy) return;
  $('btn-notice').title = 'Set or clear the upgrade notice clients read in the manifest';
  if (s.mode === 'hotswap') hotswapButtons();
  else blueGreenButtons(s);
}

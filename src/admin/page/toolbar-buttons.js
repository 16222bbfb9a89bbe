// Which toolbar buttons are enabled, and their tooltips, for the current status and busy flag.
import { $ } from './dom-builder.js';
import { SLOTS, ui } from './page-state.js';

export function updateButtons() {
  const s = ui.status;
  const all = ['btn-flip', 'btn-rollback', 'btn-drain', 'btn-hold', 'btn-upload', 'btn-update'].map($);
  for (const b of all) b.disabled = ui.busy;
  if (!s || ui.busy) return;
  const other = s.live === 'a' ? 'b' : s.live === 'b' ? 'a' : null;
  const target = other ? s.slots?.[other] : null;
  const canFlip = target && ['ready', 'draining'].includes(target.state) && target.total > 0 && target.healthy === target.total;
  $('btn-flip').disabled = !canFlip;
  $('btn-flip').title = canFlip
    ? `Make slot ${other.toUpperCase()} (${target.version}) live now`
    : other
      ? `Slot ${other.toUpperCase()} is ${target?.state ?? 'unknown'}: only a running, healthy slot can be flipped to (use Rollback or deploy instead)`
      : 'No slot is live yet';
  const draining = SLOTS.filter((n) => s.slots?.[n]?.state === 'draining');
  $('btn-drain').disabled = draining.length === 0;
  $('btn-drain').title = draining.length ? `Stop slot ${draining.join(', ').toUpperCase()} as soon as its in-flight requests finish` : 'No slot is draining';
  $('btn-rollback').title = 'Return to the previous release: instant flip back while its slot still runs, else a redeploy from the kept archive';
  const hotswap = s.mode !== 'bluegreen';
  $('btn-upload').disabled = !hotswap;
  $('btn-update').disabled = !hotswap;
  $('btn-upload').title = hotswap ? 'Upload a new server executable to the configured update file (nothing restarts yet)' : 'Hotswap needs "mode": "hotswap" in the config; this daemon runs blue/green (deploy a release instead)';
  $('btn-update').title = hotswap ? 'Hot-swap the uploaded executable in: hold, stop, swap, start, health check, release' : $('btn-upload').title;
}

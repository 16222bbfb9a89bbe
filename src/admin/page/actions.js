// The operator's one-click actions: Flip, Rollback, Drain now, Hold/Resume, Upload Exe and Update Exe, each confirmed
// where it changes traffic, with the daemon's answer or error shown in the message line. (Deploy and Notice have forms.)
import { api } from './api-client.js';
import { $ } from './dom-builder.js';
import { fmtBytes, fmtMs, shortSha } from './display-format.js';
import { sha256Hex } from './file-sha256.js';
import { showMessage } from './message-banner.js';
import { SLOTS, ui } from './page-state.js';
import { refreshUpload } from './pending-upload.js';
import { renderStatus } from './render-status.js';
import { scheduleRefresh } from './status-refresh.js';
import { updateButtons } from './toolbar-buttons.js';

/** Runs one action: confirm, call, show the answer or the daemon's error message, refresh. */
export async function act(label, confirmText, call, describe) {
  if (confirmText && !window.confirm(confirmText)) return;
  ui.busy = true;
  updateButtons();
  showMessage('info', `${label}…`);
  try {
    const result = await call();
    showMessage('ok', describe(result));
    if (result?.status?.slots) renderStatus(result.status);
  } catch (err) {
    if (err.status !== 401) showMessage('error', `${label} failed${err.status ? ` (${err.status} ${err.code})` : ''}: ${err.message}`);
  } finally {
    // Hotswap: whether an upload still waits is known before the buttons come back (Update Exe off once it was used).
    if (ui.status?.mode === 'hotswap') await refreshUpload();
    ui.busy = false;
    updateButtons();
    scheduleRefresh({ history: true });
  }
}

const slotVersion = (name) => (name ? `${name.toUpperCase()} (${ui.status?.slots?.[name]?.version ?? '?'})` : '?');

export function onFlip() {
  const s = ui.status;
  const other = s?.live === 'a' ? 'b' : 'a';
  void act('Flip', `Flip: make slot ${slotVersion(other)} live instead of ${slotVersion(s?.live)}?`, () => api('POST', 'api/flip'), (r) =>
    `Flipped: slot ${String(r.to ?? other).toUpperCase()} is live${r.switchMs !== undefined ? ` (switch ${Number(r.switchMs).toFixed(3)} ms)` : ''}.`,
  );
}

export function onRollback() {
  const how = { flip: 'instant flip', redeploy: 'redeployed from its archive', 'in-place': 'replaced in place', hotswap: 'previous executable swapped back in' };
  const question =
    ui.status?.mode === 'hotswap'
      ? `Rollback: put requests on hold and swap the previous executable (.bak) back in instead of ${ui.status?.slots?.[ui.status.live]?.version ?? '?'}?`
      : `Rollback: return from ${slotVersion(ui.status?.live)} to the previous release?`;
  void act('Rollback', question, () => api('POST', 'api/rollback'), (r) =>
    `Rolled back to ${r.version}: slot ${String(r.slot).toUpperCase()} is live (${how[r.mode] ?? r.mode}).`,
  );
}

export function onDrain() {
  const draining = SLOTS.filter((n) => ui.status?.slots?.[n]?.state === 'draining').map((n) => n.toUpperCase());
  void act('Drain now', `Drain now: stop slot ${draining.join(', ') || '?'} as soon as its in-flight requests finish? Rollback will then need a redeploy.`, () => api('POST', 'api/drain', { json: { now: true } }), () => 'Draining slot stopped.',
  );
}

export function onHold() {
  if ($('btn-hold').dataset.action === 'resume') {
    void act('Resume', null, () => api('POST', 'api/resume'), (r) => {
      const held = r.hold;
      const parts = [`Resumed${Number.isFinite(held.heldMs) ? ` after ${fmtMs(held.heldMs)} on hold` : ''}`];
      if (Number.isFinite(held.waiting)) parts.push(`${held.waiting} waiting request(s) replayed in arrival order`);
      if (held.on) parts.push(`still on hold by ${(held.reasons ?? []).join(', ') || 'another operation'}`);
      return `${parts.join('; ')}.`;
    });
  } else {
    void act('Hold', 'Hold: queue every new request instead of forwarding it, until you press Resume?', () => api('POST', 'api/hold'), () => 'Requests are on hold: new ones wait, in-flight ones finish.');
  }
}

export function onUploadChosen() {
  const input = $('exe-file');
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  void act(
    'Upload Exe',
    null,
    async () => {
      showMessage('info', `Uploading ${file.name} (${fmtBytes(file.size)})…`);
      const sha = await sha256Hex(file).catch(() => null);
      const query = sha ? `?sha256=${sha}` : '';
      return api('POST', `api/hotswap/upload${query}`, { body: file, headers: { 'content-type': 'application/octet-stream' } });
    },
    (r) => `${r.message ?? 'Uploaded'}: ${file.name}, ${fmtBytes(r.bytes)}, sha256 ${shortSha(r.sha256)}. Press Update Exe to swap it in.`,
  );
}

export function onUpdate() {
  void act('Update Exe', 'Update Exe: put requests on hold, stop the instances, swap in the uploaded executable and start it?', () => api('POST', 'api/hotswap/update'), (r) =>
    [
      r.message ?? 'Exe Updated',
      r.version ? `version ${r.version}` : null,
      Number.isFinite(r.size) ? fmtBytes(r.size) : null,
      r.mtime ? `mtime ${r.mtime}` : null,
      r.sha256 ? `sha256 ${shortSha(r.sha256)}` : null,
      Number.isFinite(r.heldMs) ? `requests held ${fmtMs(r.heldMs)}` : null,
      Number.isFinite(r.queued) ? `${r.queued} queued` : null,
    ]
      .filter(Boolean)
      .join(' · '),
  );
}

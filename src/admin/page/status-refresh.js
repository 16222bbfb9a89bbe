// Keeping status and history fresh: debounced refetches after events, and a poll (fast while something moves).
import { api, getToken } from './api-client.js';
import { isConnected } from './connection-indicator.js';
import { showMessage } from './message-banner.js';
import { SLOTS, ui } from './page-state.js';
import { refreshUpload } from './pending-upload.js';
import { renderHistory } from './render-history.js';
import { renderStatus } from './render-status.js';
import { refreshFleet } from './render-fleet.js';

const FAST_POLL_MS = 1000; // while something moves (drain, operation, hold, stream down)
const SLOW_POLL_MS = 10000; // otherwise: in-flight counts and instance health, as a safety net
const HISTORY_LIMIT = 20;

let pollTimer = null;
const refreshTimers = { status: null, history: null };

export async function refreshStatus() {
  try {
    renderStatus(await api('GET', 'api/status'));
    if (ui.status?.mode === 'hotswap') await refreshUpload();
    await refreshFleet(ui.status);
  } catch (err) {
    if (err.status !== 401) showMessage('error', `Could not read the status: ${err.message}`);
  }
}

export async function refreshHistory() {
  try {
    renderHistory(await api('GET', `api/history?limit=${HISTORY_LIMIT}`));
  } catch (err) {
    if (err.status !== 401) showMessage('error', `Could not read the history: ${err.message}`);
  }
}

/** Debounced: a burst of events (a deploy's steps) leads to one fetch of each. */
export function scheduleRefresh({ history }) {
  if (!refreshTimers.status) {
    refreshTimers.status = setTimeout(() => {
      refreshTimers.status = null;
      void refreshStatus();
    }, 60);
  }
  if (history && !refreshTimers.history) {
    refreshTimers.history = setTimeout(() => {
      refreshTimers.history = null;
      void refreshHistory();
    }, 250);
  }
}

function somethingMoves() {
  const s = ui.status;
  if (!s || !isConnected()) return true;
  // A canary or a watch: its analysis figures are kept live.
  return Boolean(s.operation) || Boolean(s.hold?.on) || Boolean(s.canary) || Boolean(s.watch) || SLOTS.some((n) => ['draining', 'stopping', 'starting'].includes(s.slots?.[n]?.state));
}

export function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    if (!getToken()) return;
    const wait = somethingMoves() && !document.hidden ? FAST_POLL_MS : SLOW_POLL_MS;
    if (Date.now() - ui.statusAt >= wait - 50) await refreshStatus();
    schedulePoll();
  }, FAST_POLL_MS);
}

export function stopRefreshing() {
  clearTimeout(pollTimer);
  clearTimeout(refreshTimers.status);
  clearTimeout(refreshTimers.history);
  // Cleared timers must also be forgotten, or the next sign-in would never schedule a refresh again.
  refreshTimers.status = null;
  refreshTimers.history = null;
}

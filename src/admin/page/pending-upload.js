// Hotswap mode: whether an uploaded executable waits at hotswap.updateFile, so Update Exe is enabled only then.
import { api } from './api-client.js';
import { ui } from './page-state.js';
import { updateButtons } from './toolbar-buttons.js';

/** Asks the daemon (GET /api/hotswap/upload); an unanswered ask keeps what was known. */
export async function refreshUpload() {
  if (ui.status?.mode !== 'hotswap') {
    ui.upload = null;
    return;
  }
  try {
    ui.upload = await api('GET', 'api/hotswap/upload');
  } catch {
    // a refused or lost call: the next status refresh asks again
  }
  updateButtons();
}

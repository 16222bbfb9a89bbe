// The Notice form: set or clear the upgrade notice clients read in the manifest (PUT / DELETE /api/notice).
import { act } from './actions.js';
import { api } from './api-client.js';
import { $ } from './dom-builder.js';
import { ui } from './page-state.js';

export function closeNoticePanel() {
  $('notice-panel').hidden = true;
}

export function openNoticePanel() {
  $('notice-panel').hidden = false;
  // Start from the notice clients see now, so a small change is a small edit.
  const current = ui.status?.manifest?.notice;
  $('notice-message').value = current?.message ?? '';
  $('notice-mandatory').checked = Boolean(current?.mandatory);
  $('notice-message').focus();
}

const changedText = (r, what) => (r.changed ? what : `${what} (it was already so; nothing changed)`);

export function onNoticeSet(event) {
  event.preventDefault();
  const message = $('notice-message').value.trim();
  const mandatory = $('notice-mandatory').checked;
  void act('Set notice', null, () => api('PUT', 'api/notice', { json: { message, mandatory } }), (r) =>
    changedText(r, `Notice set${mandatory ? ' (mandatory)' : ''}: clients read it in the manifest${r.manifest ? '' : ' once a release is live'}`),
  );
}

export function onNoticeClear() {
  void act('Clear notice', 'Clear the upgrade notice clients read in the manifest?', () => api('DELETE', 'api/notice'), (r) => changedText(r, 'Notice cleared'));
}

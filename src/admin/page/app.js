// slotswap admin page: plain JS modules, no build step. Reads /api/status and /api/history, follows /api/events
// (read with fetch, since EventSource cannot send the Authorization header) and runs the operator's actions.
// This file only wires the modules to the page's controls and starts.
import { onDrain, onFlip, onHold, onRollback, onUpdate, onUploadChosen } from './actions.js';
import { getToken, onUnauthorized } from './api-client.js';
import { closeDeployPanel, onDeploySubmit, openDeployPanel } from './deploy-form.js';
import { $ } from './dom-builder.js';
import { askForToken, onLogin, start } from './login-session.js';
import { hideMessage } from './message-banner.js';
import { closeNoticePanel, onNoticeClear, onNoticeSet, openNoticePanel } from './notice-form.js';
import { scheduleRefresh } from './status-refresh.js';
import { onAbort, onCanarySet, onPromote } from './canary-actions.js';

onUnauthorized(askForToken);

$('login-form').addEventListener('submit', onLogin);
$('logout').addEventListener('click', () => askForToken(null));
$('message-close').addEventListener('click', hideMessage);
$('btn-flip').addEventListener('click', onFlip);
$('btn-rollback').addEventListener('click', onRollback);
$('btn-drain').addEventListener('click', onDrain);
$('btn-hold').addEventListener('click', onHold);
$('btn-upload').addEventListener('click', () => $('exe-file').click());
$('exe-file').addEventListener('change', onUploadChosen);
$('btn-update').addEventListener('click', onUpdate);
$('btn-deploy').addEventListener('click', openDeployPanel);
$('deploy-close').addEventListener('click', closeDeployPanel);
$('deploy-panel').addEventListener('submit', onDeploySubmit);
$('btn-notice').addEventListener('click', openNoticePanel);
$('notice-close').addEventListener('click', closeNoticePanel);
$('notice-panel').addEventListener('submit', onNoticeSet);
$('notice-clear').addEventListener('click', onNoticeClear);
$('btn-canary-set').addEventListener('click', onCanarySet);
$('btn-promote').addEventListener('click', onPromote);
$('btn-abort').addEventListener('click', onAbort);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && getToken()) scheduleRefresh({ history: true });
});

if (getToken()) start(null);
else askForToken(null);

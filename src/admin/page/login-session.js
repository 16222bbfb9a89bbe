// Signing in and out: the token form, and switching between it and the main view.
import { api, forgetToken, saveToken, useToken } from './api-client.js';
import { setConn } from './connection-indicator.js';
import { $ } from './dom-builder.js';
import { startLive, stopLive } from './live-updates.js';

/** Stops live updates, forgets the token and shows the token form, with `reason` as its error if given. */
export function askForToken(reason) {
  stopLive();
  forgetToken();
  $('main').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  const error = $('login-error');
  error.hidden = !reason;
  error.textContent = reason ?? '';
  setConn(false, 'signed out');
  $('token-input').value = '';
  $('token-input').focus();
}

/** Shows the main view and starts live updates (from `status` if the caller already has it). */
export function start(status) {
  $('login').hidden = true;
  $('main').hidden = false;
  $('logout').hidden = false;
  startLive(status);
}

/** The token form: the token is kept only once the daemon accepts it. */
export async function onLogin(event) {
  event.preventDefault();
  const token = $('token-input').value.trim();
  if (!token) return;
  const submit = $('token-submit');
  submit.disabled = true;
  useToken(token);
  try {
    const status = await api('GET', 'api/status');
    saveToken();
    start(status);
  } catch (err) {
    if (err.status !== 401) {
      useToken(null);
      $('login-error').hidden = false;
      $('login-error').textContent = err.message;
    }
  } finally {
    submit.disabled = false;
  }
}

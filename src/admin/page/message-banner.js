// The dismissible message line under the toolbar (info, ok, error).
import { $ } from './dom-builder.js';

export function showMessage(kind, text) {
  $('message').className = `message ${kind}`;
  $('message-text').textContent = text;
  $('message').hidden = false;
}

export function hideMessage() {
  $('message').hidden = true;
}

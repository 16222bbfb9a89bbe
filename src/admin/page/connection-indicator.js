// The "live updates" indicator in the top bar, and whether the event stream is connected.
import { $ } from './dom-builder.js';

let connected = false;

export const isConnected = () => connected;

export function setConn(on, text) {
  connected = on;
  const el = $('conn');
  el.className = `conn ${on ? 'conn-on' : 'conn-off'}`;
  el.dataset.connected = String(on);
  el.textContent = text ?? (on ? 'live updates' : 'updates paused · reconnecting…');
}

// The maintenance banner: shown while /api/status says maintenance is on, with its message and since when.
import { $ } from './dom-builder.js';
import { fmtMs } from './display-format.js';

export function renderMaintenance(m) {
  const on = Boolean(m?.on);
  $('maintenance-banner').hidden = !on;
  if (!on) return;
  $('maintenance-detail').textContent = [
    m.message ? `“${m.message}”` : null,
    m.since ? `for ${fmtMs(Date.now() - Date.parse(m.since))}` : null,
    `Retry-After ${m.retryAfterS} s`,
    m.page ? `page ${m.page.file ?? ''} (${m.page.bytes} bytes)` : null,
  ]
    .filter(Boolean)
    .join(' · ');
}

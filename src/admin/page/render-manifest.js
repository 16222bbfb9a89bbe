// The manifest card: what clients read from the manifest URL (version, compatibility, notice).
import { $, h, safeHref } from './dom-builder.js';
import { fmtTime } from './display-format.js';

export function renderManifest(m, url) {
  const link = $('manifest-link');
  link.textContent = url ?? '';
  if (safeHref(url)) link.href = url;
  else link.removeAttribute('href');
  const dl = $('manifest');
  if (!m) {
    dl.replaceChildren(h('dt', null, 'manifest'), h('dd', null, 'none yet (no slot is live)'));
    return;
  }
  const notice = m.notice
    ? h('dd', { class: 'notice', dataset: { role: 'manifest-notice' } }, m.notice.message, m.notice.mandatory ? h('span', { class: 'mandatory' }, 'mandatory') : null)
    : h('dd', { class: 'notice muted', dataset: { role: 'manifest-notice' } }, 'none');
  dl.replaceChildren(
    h('dt', null, 'version'), h('dd', { dataset: { role: 'manifest-version' } }, m.version ?? '–'),
    h('dt', null, 'minCompatibleVersion'), h('dd', null, m.minCompatibleVersion ?? '–'),
    h('dt', null, 'webApiUrl'), h('dd', null, m.webApiUrl ?? '–'),
    h('dt', null, 'slot'), h('dd', null, m.slot ?? '–'),
    h('dt', null, 'notice'), notice,
    h('dt', null, 'updatedAt'), h('dd', { title: m.updatedAt ?? '' }, fmtTime(m.updatedAt)),
  );
}

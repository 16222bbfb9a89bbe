// The recent history table (operations with their steps) and the admin audit log, from /api/history.
import { $, h } from './dom-builder.js';
import { fmtMs, fmtTime } from './display-format.js';

/** A failure's message, then its log lines (the instances' last output) as preformatted lines, one per line. */
function errorLines(error) {
  if (!error) return [];
  const [message, ...log] = String(error).split('\n');
  return [h('div', { class: 'err' }, message), log.length ? h('pre', { class: 'log' }, log.join('\n')) : null];
}

function historyRow(e) {
  const duration = e.endedAt ? Date.parse(e.endedAt) - Date.parse(e.startedAt) : null;
  const steps = (e.steps ?? []).map((s, i) => [i ? ' · ' : '', h('span', { class: s.ok ? '' : 'fail', title: s.detail ?? '' }, `${s.name} ${fmtMs(s.ms)}`)]);
  return h(
    'tr',
    { dataset: { op: e.op, outcome: e.outcome } },
    h('td', { class: 'time', title: e.startedAt }, fmtTime(e.startedAt)),
    h('td', { class: 'op' }, e.op, e.slot ? h('span', { class: 'muted' }, ` → ${e.slot.toUpperCase()}`) : null),
    h('td', { class: 'versions' }, `${e.fromVersion ?? '∅'} → ${e.toVersion ?? '…'}`),
    h('td', { class: 'outcome' }, h('span', { class: `badge b-${e.outcome}` }, e.outcome), duration !== null && Number.isFinite(duration) ? h('span', { class: 'muted' }, ` ${fmtMs(duration)}`) : null),
    h('td', { class: 'details' }, h('div', { class: 'steps' }, steps.flat()), ...errorLines(e.error)),
    h('td', { class: 'actor' }, e.actor ?? '–'),
  );
}

function auditRow(a) {
  return h('tr', null, h('td', { class: 'time', title: a.at }, fmtTime(a.at)), h('td', { class: 'mono' }, a.action), h('td', { class: a.status >= 400 ? 'status-bad' : '' }, String(a.status)), h('td', { class: 'actor' }, a.actor));
}

export function renderHistory(history) {
  const entries = history?.entries ?? [];
  // On a fleet node: the fleet's history from etcd, or this node's own while etcd is away (the answer says why).
  const scope = $('history-scope');
  scope.hidden = !history?.scope;
  scope.textContent = history?.scope === 'fleet' ? "The fleet's history (etcd)" : history?.message ?? "This node's own history";
  const body = $('history');
  if (!entries.length) body.replaceChildren(h('tr', { class: 'empty-row' }, h('td', { colspan: 6 }, 'nothing yet')));
  else body.replaceChildren(...entries.map(historyRow));
  const audit = history?.audit ?? [];
  $('audit').replaceChildren(...(audit.length ? audit.map(auditRow) : [h('tr', { class: 'empty-row' }, h('td', { colspan: 4 }, 'nothing yet'))]));
}

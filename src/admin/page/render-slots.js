// One slot's card: state badge or LIVE mark, version, facts, the drain's progress and the instances table.
import { $, h, safeHref } from './dom-builder.js';
import { fmtAgo, fmtMs, fmtTime } from './display-format.js';

function renderDrain(slot) {
  const d = slot.drain;
  if (!d) return null;
  const inGrace = d.graceLeftMs > 0;
  // The bar fills up to the earliest moment the slot may stop (end of grace); after that it shows the time to the deadline.
  const fraction = inGrace ? 1 - d.graceLeftMs / Math.max(d.graceMs, 1) : 1 - d.timeLeftMs / Math.max(d.timeoutMs, 1);
  const pct = Math.max(0, Math.min(100, fraction * 100));
  const headline = inGrace
    ? `Draining · grace ${fmtMs(d.graceLeftMs)} left (rollback is instant until then)`
    : d.inFlight > 0
      ? `Draining · waiting for ${d.inFlight} in-flight request${d.inFlight === 1 ? '' : 's'}`
      : Number.isFinite(d.idleNeededMs)
        ? `Draining · idle ${fmtMs(d.idleMs)} of the ${fmtMs(d.idleNeededMs)} it needs to stop`
        : `Draining · idle ${fmtMs(d.idleMs)}, stopping soon`;
  return h(
    'div',
    { class: 'drain', dataset: { role: 'drain' } },
    h('div', { class: 'drain-line' }, h('span', null, headline), h('span', null, `${d.inFlight} in flight`)),
    h('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': Math.round(pct), 'aria-valuemin': 0, 'aria-valuemax': 100 }, h('div', { style: `width:${pct.toFixed(1)}%` })),
    h(
      'div',
      { class: 'drain-line' },
      // earliestStopInMs (when the daemon reports it): when the slot stops if no request comes in; else the idle time so far.
      Number.isFinite(d.earliestStopInMs)
        ? h('span', { dataset: { role: 'drain-stops' }, title: `it stops after ${fmtMs(d.idleNeededMs)} without a request, once the grace is over` }, `stops once idle in ${fmtMs(d.earliestStopInMs)}`)
        : h('span', null, `idle for ${fmtMs(d.idleMs)}`),
      h('span', { dataset: { role: 'drain-deadline' } }, `at the latest in ${fmtMs(d.timeLeftMs)}`),
    ),
  );
}

function fact(label, value, cls = '', title = '') {
  return h('div', { class: 'fact', title: title || null }, h('div', { class: 'k' }, label), h('div', { class: `v ${cls}` }, value));
}

function renderInstances(instances) {
  if (!instances.length) return null;
  return h(
    'div',
    { class: 'table-wrap' },
    h(
    'table',
    { class: 'instances' },
    h('thead', null, h('tr', null, ['Instance', 'Port', 'PID', 'Health', 'In flight', 'WS'].map((t) => h('th', null, t)))),
    h(
      'tbody',
      null,
      instances.map((i) =>
        h(
          'tr',
          null,
          h('td', null, i.label ?? '–'),
          h('td', null, String(i.port ?? '–')),
          h('td', null, i.pid === null || i.pid === undefined ? '–' : String(i.pid)),
          h('td', null, h('span', { class: `dot ${!i.running ? 'off' : i.healthy ? 'up' : 'down'}` }, !i.running ? 'stopped' : i.healthy ? 'healthy' : 'unhealthy')),
          h('td', null, String(i.inFlight ?? 0)),
          h('td', null, String(i.webSockets ?? 0)),
        ),
      ),
    ),
    ),
  );
}

export function renderSlot(name, slot, live, { hotswap = false } = {}) {
  const card = $(`slot-${name}`);
  if (!slot) {
    card.replaceChildren(h('div', { class: 'slot-head' }, h('span', { class: 'slot-name' }, 'Slot', h('b', null, name.toUpperCase()))), h('p', { class: 'muted' }, 'no data'));
    return;
  }
  const state = slot.state ?? 'empty';
  card.className = `card slot s-${live ? 'live' : state}`;
  card.dataset.state = state;
  card.dataset.live = String(live);
  card.dataset.version = slot.version ?? '';

  const instances = slot.instances ?? [];
  const healthOk = slot.total > 0 && slot.healthy === slot.total;
  const running = ['live', 'draining', 'ready', 'starting', 'stopping'].includes(state);
  const facts = h(
    'div',
    { class: 'facts' },
    fact('Instances', `${slot.healthy ?? 0}/${slot.total ?? 0} healthy`, running ? (healthOk ? 'good' : 'bad') : ''),
    fact('In flight', String(slot.inFlight ?? 0)),
    fact('Min compatible', slot.minCompatibleVersion ?? '–'),
    slot.clientFiles ? fact('Client files', `${slot.clientFiles.files} files, ${(slot.clientFiles.bytes / 1048576).toFixed(1)} MB, ${slot.clientFiles.version}`) : null,
    fact('Since', fmtTime(slot.since), '', slot.since ? `${slot.since} (${fmtAgo(slot.since)})` : ''),
  );

  card.replaceChildren(
    h(
      'div',
      { class: 'slot-head' },
      h('span', { class: 'slot-name' }, 'Slot', h('b', null, name.toUpperCase())),
      hotswap ? h('span', { class: 'slot-note' }, 'hotswap · the executable is replaced in place, under a hold') : null,
      // The live slot gets one unmistakable mark instead of a state badge; every other state gets its coloured badge.
      live && state === 'live'
        ? h('span', { class: 'live-mark', dataset: { role: 'live' }, title: 'Ordinary traffic goes to this slot' }, 'LIVE')
        : h('span', { class: `badge b-${state}`, dataset: { role: 'state' } }, live ? `live · ${state}` : state),
    ),
    h(
      'div',
      { class: 'slot-body' },
      h('div', { class: `version${slot.version ? '' : ' none'}`, dataset: { role: 'version' } }, slot.version ?? 'no release'),
      slot.name ? h('div', { class: 'since' }, slot.name, slot.url ? ' · ' : '', slot.url ? h('a', { href: safeHref(slot.url), target: '_blank', rel: 'noopener noreferrer', class: 'mono' }, slot.url) : null) : null,
      facts,
      renderDrain(slot),
      renderInstances(instances),
    ),
  );
}

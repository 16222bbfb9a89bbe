// The running operation, step by step, from the event stream's step and result events.
import { $, h } from './dom-builder.js';
import { fmtMs } from './display-format.js';

let activity = null;

function activityFor(ev) {
  if (!activity || activity.id !== ev.id) activity = { id: ev.id, op: ev.op, steps: [], result: null };
  return activity;
}

export function trackStep(ev) {
  const steps = activityFor(ev).steps;
  const existing = steps.find((s) => s.step === ev.step);
  if (existing) Object.assign(existing, ev);
  else steps.push({ ...ev });
  renderActivity();
}

export function trackResult(ev) {
  activityFor(ev).result = ev;
  renderActivity();
}

// A failure's message may carry the instances' log lines after its first line: the history row shows those.
const firstLine = (text) => String(text).split('\n')[0];

function renderActivity() {
  const a = activity;
  const el = $('activity');
  if (!a) {
    el.hidden = true;
    return;
  }
  const parts = a.steps.map((s) => {
    const cls = s.phase === 'end' ? 'step-ok' : s.phase === 'fail' ? 'step-fail' : 'step-run';
    const mark = s.phase === 'end' ? '✓' : s.phase === 'fail' ? '✗' : '…';
    const ms = s.ms !== undefined ? ` ${fmtMs(s.ms)}` : '';
    return h('span', { class: cls, title: s.detail ?? '' }, `${mark} ${s.step}${ms}`);
  });
  const result = a.result
    ? h('span', { class: a.result.ok ? 'step-ok' : 'step-fail' }, a.result.ok ? ' — done' : ` — failed: ${firstLine(a.result.message ?? a.result.error ?? '')}`)
    : null;
  el.replaceChildren(h('span', null, `${a.op}: `), ...parts.flatMap((p, i) => (i ? ['  ', p] : [p])), ...(result ? [result] : []));
  el.hidden = false;
}

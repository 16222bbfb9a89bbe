// The Deploy form (blue/green): pick a release .tgz, optionally override version and min-compatible, and follow the
// deploy's steps as they happen, read line by line from POST /api/deploy's NDJSON answer.
import { apiStream } from './api-client.js';
import { $, h } from './dom-builder.js';
import { fmtBytes, fmtMs } from './display-format.js';
import { sha256Hex } from './file-sha256.js';
import { showMessage } from './message-banner.js';
import { ndjsonLines } from './ndjson-reader.js';
import { ui } from './page-state.js';
import { scheduleRefresh } from './status-refresh.js';
import { updateButtons } from './toolbar-buttons.js';

const MARK = { begin: '…', end: '✓', fail: '✗', background: '↻' };

export function openDeployPanel() {
  $('deploy-panel').hidden = false;
  $('deploy-file').focus();
}

export function closeDeployPanel() {
  $('deploy-panel').hidden = true;
}

function renderSteps(steps) {
  $('deploy-steps').replaceChildren(
    ...steps.map((s) =>
      h(
        'li',
        { class: `step step-${s.phase}`, dataset: { step: s.step, phase: s.phase } },
        h('span', { class: 'mark' }, MARK[s.phase] ?? '·'),
        h('span', { class: 'name' }, s.step),
        h('span', { class: 'ms' }, s.ms !== undefined ? fmtMs(s.ms) : s.phase === 'background' ? 'continues' : 'running'),
        h('span', { class: 'detail' }, s.detail ?? ''),
      ),
    ),
  );
}

function showResult(ok, text, logTail = []) {
  const el = $('deploy-result');
  el.dataset.ok = String(ok);
  el.className = `deploy-result ${ok ? 'ok' : 'error'}`;
  el.replaceChildren(h('div', null, text), ...(logTail.length ? [h('pre', { class: 'log' }, logTail.join('\n'))] : []));
}

function clearResult() {
  const el = $('deploy-result');
  delete el.dataset.ok;
  el.className = 'deploy-result';
  el.replaceChildren();
}

function describe(r) {
  if (r.ok && r.canary) return `Canary: ${r.version} in slot ${String(r.slot).toUpperCase()} takes ${r.canary.weight} % of new clients; slot ${String(r.canary.fromSlot).toUpperCase()} stays live. Promote or abort below.`;
  if (!r.ok) return `Deploy failed (${r.error ?? 'error'}): ${r.message ?? 'see the history'}${r.rolledBack ? ' The previous release is back and serving.' : ''}`;
  const parts = [`Deployed: ${r.version} is live in slot ${String(r.slot).toUpperCase()}`];
  if (Number.isFinite(r.switchMs)) parts.push(`switch ${Number(r.switchMs).toFixed(3)} ms`);
  if (r.minCompatibleVersion) parts.push(`clients older than ${r.minCompatibleVersion} get 426`);
  if (r.previous) parts.push(`slot ${String(r.previous.slot).toUpperCase()} (${r.previous.version}) drains`);
  return `${parts.join(' · ')}.`;
}

async function runDeploy(file, version, minCompatible, smoke, progressive = {}) {
  const params = new URLSearchParams();
  const sha = await sha256Hex(file).catch(() => null);
  if (sha) params.set('sha256', sha);
  if (version) params.set('version', version);
  if (minCompatible) params.set('minCompatible', minCompatible);
  if (smoke) params.set('smoke', smoke);
  if (progressive.canary) params.set('canary', progressive.canary);
  if (progressive.maxErrorRate) params.set('maxErrorRate', progressive.maxErrorRate);
  const query = params.toString();
  const res = await apiStream('POST', `api/deploy${query ? `?${query}` : ''}`, { body: file, headers: { 'content-type': 'application/gzip' } });
  showMessage('info', `Deploy: ${file.name} received; following its steps…`);
  const steps = [];
  let result = null;
  for await (const line of ndjsonLines(res.body)) {
    if (line.type === 'step') {
      const known = steps.find((s) => s.step === line.step && s.phase === 'begin');
      if (known) Object.assign(known, line);
      else steps.push({ ...line });
      renderSteps(steps);
    } else if (line.type === 'result') {
      result = line;
    }
  }
  // Without waitDrain the answer ends while the old slot drains: that step goes on after the result.
  for (const s of steps) if (s.phase === 'begin' && result?.ok) Object.assign(s, { phase: 'background', detail: 'in the background (the history shows when it ends)' });
  renderSteps(steps);
  if (!result) throw new Error('the answer ended without its result line (connection lost?); the history shows how the deploy ended');
  return result;
}

export async function onDeploySubmit(event) {
  event.preventDefault();
  const file = $('deploy-file').files?.[0];
  if (!file) {
    showResult(false, 'Pick a release .tgz first (release.json at its root).');
    return;
  }
  const version = $('deploy-version').value.trim();
  const minCompatible = $('deploy-min').value.trim();
  const smoke = $('deploy-smoke')?.value.trim() ?? '';
  const progressive = { canary: $('deploy-canary').value.trim(), maxErrorRate: $('deploy-max-error-rate').value.trim() };
  const then = progressive.canary ? `send ${progressive.canary} % of new clients to it (canary)` : 'flip to it';
  if (!window.confirm(`Deploy ${file.name}${version ? ` as ${version}` : ''} to the idle slot, and ${then} once healthy?`)) return;
  clearResult();
  renderSteps([]);
  ui.busy = true;
  updateButtons();
  showMessage('info', `Deploy: uploading ${file.name} (${fmtBytes(file.size)})…`);
  try {
    const result = await runDeploy(file, version, minCompatible, smoke, progressive);
    showResult(result.ok, describe(result), result.ok ? [] : (result.logTail ?? []));
    showMessage(result.ok ? 'ok' : 'error', describe(result));
  } catch (err) {
    if (err.status !== 401) {
      const text = `Deploy failed${err.status ? ` (${err.status} ${err.code})` : ''}: ${err.message}`;
      showResult(false, text);
      showMessage('error', text);
    }
  } finally {
    ui.busy = false;
    updateButtons();
    scheduleRefresh({ history: true });
  }
}

// slotswap admin page: plain JS, no build step. Reads /api/status and /api/history, follows /api/events
// (read with fetch, since EventSource cannot send the Authorization header) and runs the operator's actions.

const TOKEN_KEY = 'slotswap.adminToken';
const SLOTS = ['a', 'b'];
const FAST_POLL_MS = 1000; // while something moves (drain, operation, hold, stream down)
const SLOW_POLL_MS = 10000; // otherwise: in-flight counts and instance health, as a safety net
const STREAM_STALL_MS = 45000; // the daemon sends a heartbeat every 15 s
const HISTORY_LIMIT = 20;
const REFUSED = 'The daemon refused this token. Paste the content of admin.tokenFile (by default state/admin.token) from the daemon\'s machine.';

const $ = (id) => document.getElementById(id);

const ui = {
  token: sessionStorage.getItem(TOKEN_KEY),
  status: null,
  history: null,
  statusAt: 0,
  connected: false,
  busy: false,
  stream: null,
  pollTimer: null,
  refreshTimers: { status: null, history: null },
  drainSeen: { a: null, b: null },
  activity: null,
};

// ---------- small helpers ----------

/** Creates an element; strings become text nodes (never HTML), so nothing from the API is parsed as markup. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function fmtMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60000);
  const seconds = Math.floor((ms % 60000) / 1000);
  if (minutes < 60) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

function fmtBytes(n) {
  if (!Number.isFinite(n)) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const time = d.toLocaleTimeString([], { hour12: false });
  const today = new Date().toDateString() === d.toDateString();
  return today ? time : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

function fmtAgo(iso) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  return `${fmtMs(Math.max(0, Date.now() - t))} ago`;
}

/** Only http(s) links: a URL from the status never becomes a javascript: link. */
const safeHref = (url) => (typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null);

const shortSha = (sha) => (typeof sha === 'string' ? sha.slice(0, 12) : '–');

// ---------- API ----------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the admin API with the token; a 401 forgets the token and asks for it again. */
async function api(method, path, { json, body, headers } = {}) {
  const init = { method, cache: 'no-store', headers: { authorization: `Bearer ${ui.token}`, accept: 'application/json', ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['content-type'] = 'application/json';
  } else if (body !== undefined) {
    init.body = body;
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'unreachable', `the daemon did not answer ${method} /${path} (${err.message}); is it running?`);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = null;
  }
  if (res.status === 401) {
    askForToken(REFUSED);
    throw new ApiError(401, 'unauthorized', data?.message ?? 'missing or wrong admin token');
  }
  if (!res.ok) {
    const message = data?.message ?? (text.trim().slice(0, 300) || res.statusText);
    throw new ApiError(res.status, data?.error ?? `http_${res.status}`, message);
  }
  if (data === null) throw new ApiError(res.status, 'bad_response', `the daemon answered ${method} /${path} with something that is not JSON`);
  return data;
}

// ---------- token ----------

function askForToken(reason) {
  stopLive();
  ui.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
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

async function onLogin(event) {
  event.preventDefault();
  const token = $('token-input').value.trim();
  if (!token) return;
  const submit = $('token-submit');
  submit.disabled = true;
  ui.token = token;
  try {
    const status = await api('GET', 'api/status');
    sessionStorage.setItem(TOKEN_KEY, token);
    start(status);
  } catch (err) {
    if (err.status !== 401) {
      ui.token = null;
      $('login-error').hidden = false;
      $('login-error').textContent = err.message;
    }
  } finally {
    submit.disabled = false;
  }
}

function start(status) {
  $('login').hidden = true;
  $('main').hidden = false;
  $('logout').hidden = false;
  if (status) renderStatus(status);
  else void refreshStatus();
  void refreshHistory();
  void followEvents();
  schedulePoll();
}

function stopLive() {
  ui.stream?.abort();
  ui.stream = null;
  clearTimeout(ui.pollTimer);
  clearTimeout(ui.refreshTimers.status);
  clearTimeout(ui.refreshTimers.history);
}

// ---------- refreshing ----------

async function refreshStatus() {
  try {
    renderStatus(await api('GET', 'api/status'));
  } catch (err) {
    if (err.status !== 401) showMessage('error', `Could not read the status: ${err.message}`);
  }
}

async function refreshHistory() {
  try {
    ui.history = await api('GET', `api/history?limit=${HISTORY_LIMIT}`);
    renderHistory();
  } catch (err) {
    if (err.status !== 401) showMessage('error', `Could not read the history: ${err.message}`);
  }
}

/** Debounced: a burst of events (a deploy's steps) leads to one fetch of each. */
function scheduleRefresh({ history }) {
  if (!ui.refreshTimers.status) {
    ui.refreshTimers.status = setTimeout(() => {
      ui.refreshTimers.status = null;
      void refreshStatus();
    }, 60);
  }
  if (history && !ui.refreshTimers.history) {
    ui.refreshTimers.history = setTimeout(() => {
      ui.refreshTimers.history = null;
      void refreshHistory();
    }, 250);
  }
}

function somethingMoves() {
  const s = ui.status;
  if (!s || !ui.connected) return true;
  return Boolean(s.operation) || Boolean(s.hold?.on) || SLOTS.some((n) => ['draining', 'stopping', 'starting'].includes(s.slots?.[n]?.state));
}

function schedulePoll() {
  clearTimeout(ui.pollTimer);
  ui.pollTimer = setTimeout(async () => {
    if (!ui.token) return;
    const wait = somethingMoves() && !document.hidden ? FAST_POLL_MS : SLOW_POLL_MS;
    if (Date.now() - ui.statusAt >= wait - 50) await refreshStatus();
    schedulePoll();
  }, FAST_POLL_MS);
}

// ---------- server-sent events over fetch ----------

function setConn(on, text) {
  ui.connected = on;
  const el = $('conn');
  el.className = `conn ${on ? 'conn-on' : 'conn-off'}`;
  el.dataset.connected = String(on);
  el.textContent = text ?? (on ? 'live updates' : 'updates paused · reconnecting…');
}

async function followEvents() {
  const outer = new AbortController();
  ui.stream = outer;
  let retryMs = 1000;
  let failures = 0;
  while (!outer.signal.aborted && ui.token) {
    const conn = new AbortController();
    const abortConn = () => conn.abort();
    outer.signal.addEventListener('abort', abortConn, { once: true });
    let watchdog = null;
    const feed = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => conn.abort(), STREAM_STALL_MS);
    };
    try {
      const res = await fetch('api/events', { cache: 'no-store', signal: conn.signal, headers: { authorization: `Bearer ${ui.token}`, accept: 'text/event-stream' } });
      if (res.status === 401) {
        askForToken(REFUSED);
        return;
      }
      if (!res.ok || !res.body) throw new Error(`GET /api/events answered ${res.status}`);
      failures = 0;
      setConn(true);
      feed();
      scheduleRefresh({ history: true }); // events may have been missed while disconnected
      const parser = sseParser((event) => onEvent(event), (ms) => (retryMs = ms));
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        feed();
        parser(value);
      }
    } catch {
      // dropped, refused or stalled: reconnect below
    } finally {
      clearTimeout(watchdog);
      outer.signal.removeEventListener('abort', abortConn);
    }
    if (outer.signal.aborted) return;
    failures++;
    setConn(false, `updates paused · reconnecting…${failures > 1 ? ` (${failures})` : ''}`);
    await sleep(Math.min(retryMs * Math.min(2 ** (failures - 1), 10), 15000));
  }
}

/** A minimal text/event-stream parser (WHATWG rules: event, data, id, retry fields; blank line dispatches). */
function sseParser(dispatch, setRetry) {
  let buffer = '';
  let type = '';
  let data = [];
  return (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone \r at the end of the buffer may be the first half of \r\n: wait for more.
      if (buffer[nl] === '\r' && nl === buffer.length - 1) break;
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (data.length) {
          const raw = data.join('\n');
          let parsed = null;
          try {
            parsed = JSON.parse(raw);
          } catch {
            parsed = { raw };
          }
          dispatch({ type: type || 'message', data: parsed });
        }
        type = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) setRetry(Number(value));
    }
  };
}

function onEvent({ type, data }) {
  if (type === 'step') {
    trackStep(data);
    scheduleRefresh({ history: data.phase !== 'begin' });
  } else if (type === 'result') {
    trackResult(data);
    scheduleRefresh({ history: true });
  } else if (type === 'state') {
    scheduleRefresh({ history: true });
  }
}

// ---------- the running operation, step by step ----------

function trackStep(ev) {
  if (!ui.activity || ui.activity.id !== ev.id) ui.activity = { id: ev.id, op: ev.op, steps: [], result: null };
  const steps = ui.activity.steps;
  const existing = steps.find((s) => s.step === ev.step);
  if (existing) Object.assign(existing, ev);
  else steps.push({ ...ev });
  renderActivity();
}

function trackResult(ev) {
  if (!ui.activity || ui.activity.id !== ev.id) ui.activity = { id: ev.id, op: ev.op, steps: [], result: null };
  ui.activity.result = ev;
  renderActivity();
}

function renderActivity() {
  const a = ui.activity;
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
    ? h('span', { class: a.result.ok ? 'step-ok' : 'step-fail' }, a.result.ok ? ' — done' : ` — failed: ${a.result.message ?? a.result.error ?? ''}`)
    : null;
  el.replaceChildren(h('span', null, `${a.op}: `), ...parts.flatMap((p, i) => (i ? ['  ', p] : [p])), ...(result ? [result] : []));
  el.hidden = false;
}

// ---------- rendering the status ----------

function renderStatus(s) {
  ui.status = s;
  ui.statusAt = Date.now();
  $('app-name').textContent = s.app ?? '';
  $('mode').textContent = s.mode ?? '';
  document.title = s.live ? `slotswap · ${s.app ?? ''} · ${s.live.toUpperCase()} live ${s.slots?.[s.live]?.version ?? ''}` : 'slotswap admin';

  const op = $('operation');
  op.hidden = !s.operation;
  if (s.operation) op.textContent = `${s.operation.op} running · ${fmtMs(Date.now() - s.operation.since)}`;

  const hold = s.hold ?? { on: false, queued: 0 };
  $('hold-banner').hidden = !hold.on;
  $('hold-queued').textContent = [
    `${hold.queued ?? 0} request${hold.queued === 1 ? '' : 's'} queued`,
    hold.since ? `for ${fmtMs(Date.now() - Date.parse(hold.since))}` : null,
    hold.reasons?.length ? `by ${hold.reasons.join(', ')}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  // Resume takes off the operator's hold only; a hold that a hotswap put on ends with the hotswap.
  const operatorHold = Array.isArray(hold.reasons) ? hold.reasons.includes('operator') : Boolean(hold.on);
  const holdBtn = $('btn-hold');
  holdBtn.textContent = operatorHold ? 'Resume' : 'Hold';
  holdBtn.dataset.action = operatorHold ? 'resume' : 'hold';
  holdBtn.classList.toggle('btn-warn', operatorHold);
  holdBtn.title = operatorHold ? 'Take requests off hold and replay the queue in arrival order' : 'Queue new requests instead of forwarding them (maintenance)';

  for (const name of SLOTS) renderSlot(name, s.slots?.[name], s.live === name);
  renderManifest(s.manifest, s.manifestUrl);

  const pub = $('public-url');
  pub.textContent = s.publicUrl ?? '';
  if (safeHref(s.publicUrl)) pub.href = s.publicUrl;
  else pub.removeAttribute('href');
  $('updated-at').textContent = `status at ${new Date().toLocaleTimeString([], { hour12: false })}`;
  updateButtons();
}

function drainTotals(name, drain) {
  // The status gives what is left; the totals come from the status when it has them, else from the first sight of this drain.
  if (!drain) {
    ui.drainSeen[name] = null;
    return null;
  }
  const seen = ui.drainSeen[name] ?? { grace: 0, time: 0 };
  seen.grace = Math.max(seen.grace, drain.graceLeftMs ?? 0);
  seen.time = Math.max(seen.time, drain.timeLeftMs ?? 0);
  ui.drainSeen[name] = seen;
  return { grace: drain.graceMs ?? seen.grace, time: drain.timeoutMs ?? seen.time };
}

function renderDrain(name, slot) {
  const d = slot.drain;
  const totals = drainTotals(name, d);
  if (!d) return null;
  const inGrace = d.graceLeftMs > 0;
  // The bar fills up to the earliest moment the slot may stop (end of grace); after that it shows the time to the deadline.
  const fraction = inGrace ? 1 - d.graceLeftMs / Math.max(totals.grace, 1) : 1 - d.timeLeftMs / Math.max(totals.time, 1);
  const pct = Math.max(0, Math.min(100, fraction * 100));
  const headline = inGrace
    ? `Draining · grace ${fmtMs(d.graceLeftMs)} left (rollback is instant until then)`
    : d.inFlight > 0
      ? `Draining · waiting for ${d.inFlight} in-flight request${d.inFlight === 1 ? '' : 's'}`
      : `Draining · idle ${fmtMs(d.idleMs)}, stopping soon`;
  return h(
    'div',
    { class: 'drain', dataset: { role: 'drain' } },
    h('div', { class: 'drain-line' }, h('span', null, headline), h('span', null, `${d.inFlight} in flight`)),
    h('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': Math.round(pct), 'aria-valuemin': 0, 'aria-valuemax': 100 }, h('div', { style: `width:${pct.toFixed(1)}%` })),
    h('div', { class: 'drain-line' }, h('span', null, `idle for ${fmtMs(d.idleMs)}`), h('span', null, `stopped at the latest in ${fmtMs(d.timeLeftMs)}`)),
  );
}

function renderSlot(name, slot, live) {
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
    fact('Since', fmtTime(slot.since), '', slot.since ? `${slot.since} (${fmtAgo(slot.since)})` : ''),
  );

  const table = instances.length
    ? h(
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
      )
    : null;

  card.replaceChildren(
    h(
      'div',
      { class: 'slot-head' },
      h('span', { class: 'slot-name' }, 'Slot', h('b', null, name.toUpperCase())),
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
      renderDrain(name, slot),
      table,
    ),
  );
}

function fact(label, value, cls = '', title = '') {
  return h('div', { class: 'fact', title: title || null }, h('div', { class: 'k' }, label), h('div', { class: `v ${cls}` }, value));
}

function renderManifest(m, url) {
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
    ? h('dd', { class: 'notice' }, m.notice.message, m.notice.mandatory ? h('span', { class: 'mandatory' }, 'mandatory') : null)
    : h('dd', { class: 'notice muted' }, 'none');
  dl.replaceChildren(
    h('dt', null, 'version'), h('dd', { dataset: { role: 'manifest-version' } }, m.version ?? '–'),
    h('dt', null, 'minCompatibleVersion'), h('dd', null, m.minCompatibleVersion ?? '–'),
    h('dt', null, 'webApiUrl'), h('dd', null, m.webApiUrl ?? '–'),
    h('dt', null, 'slot'), h('dd', null, m.slot ?? '–'),
    h('dt', null, 'notice'), notice,
    h('dt', null, 'updatedAt'), h('dd', { title: m.updatedAt ?? '' }, fmtTime(m.updatedAt)),
  );
}

function renderHistory() {
  const entries = ui.history?.entries ?? [];
  const body = $('history');
  if (!entries.length) {
    body.replaceChildren(h('tr', { class: 'empty-row' }, h('td', { colspan: 6 }, 'nothing yet')));
  } else {
    body.replaceChildren(
      ...entries.map((e) => {
        const duration = e.endedAt ? Date.parse(e.endedAt) - Date.parse(e.startedAt) : null;
        const steps = (e.steps ?? []).map((s, i) => [i ? ' · ' : '', h('span', { class: s.ok ? '' : 'fail', title: s.detail ?? '' }, `${s.name} ${fmtMs(s.ms)}`)]);
        return h(
          'tr',
          { dataset: { op: e.op, outcome: e.outcome } },
          h('td', { class: 'time', title: e.startedAt }, fmtTime(e.startedAt)),
          h('td', { class: 'op' }, e.op, e.slot ? h('span', { class: 'muted' }, ` → ${e.slot.toUpperCase()}`) : null),
          h('td', { class: 'versions' }, `${e.fromVersion ?? '∅'} → ${e.toVersion ?? '…'}`),
          h('td', { class: 'outcome' }, h('span', { class: `badge b-${e.outcome}` }, e.outcome), duration !== null && Number.isFinite(duration) ? h('span', { class: 'muted' }, ` ${fmtMs(duration)}`) : null),
          h('td', null, h('div', { class: 'steps' }, steps.flat()), e.error ? h('div', { class: 'err' }, e.error) : null),
          h('td', { class: 'actor' }, e.actor ?? '–'),
        );
      }),
    );
  }
  const audit = ui.history?.audit ?? [];
  $('audit').replaceChildren(
    ...(audit.length
      ? audit.map((a) =>
          h('tr', null, h('td', { class: 'time', title: a.at }, fmtTime(a.at)), h('td', { class: 'mono' }, a.action), h('td', { class: a.status >= 400 ? 'status-bad' : '' }, String(a.status)), h('td', { class: 'actor' }, a.actor)),
        )
      : [h('tr', { class: 'empty-row' }, h('td', { colspan: 4 }, 'nothing yet'))]),
  );
}

// ---------- actions ----------

function updateButtons() {
  const s = ui.status;
  const all = ['btn-flip', 'btn-rollback', 'btn-drain', 'btn-hold', 'btn-upload', 'btn-update'].map($);
  for (const b of all) b.disabled = ui.busy;
  if (!s || ui.busy) return;
  const other = s.live === 'a' ? 'b' : s.live === 'b' ? 'a' : null;
  const target = other ? s.slots?.[other] : null;
  const canFlip = target && ['ready', 'draining'].includes(target.state) && target.total > 0 && target.healthy === target.total;
  $('btn-flip').disabled = !canFlip;
  $('btn-flip').title = canFlip
    ? `Make slot ${other.toUpperCase()} (${target.version}) live now`
    : other
      ? `Slot ${other.toUpperCase()} is ${target?.state ?? 'unknown'}: only a running, healthy slot can be flipped to (use Rollback or deploy instead)`
      : 'No slot is live yet';
  const draining = SLOTS.filter((n) => s.slots?.[n]?.state === 'draining');
  $('btn-drain').disabled = draining.length === 0;
  $('btn-drain').title = draining.length ? `Stop slot ${draining.join(', ').toUpperCase()} as soon as its in-flight requests finish` : 'No slot is draining';
  $('btn-rollback').title = 'Return to the previous release: instant flip back while its slot still runs, else a redeploy from the kept archive';
  const hotswap = s.mode !== 'bluegreen';
  $('btn-upload').disabled = !hotswap;
  $('btn-update').disabled = !hotswap;
  $('btn-upload').title = hotswap ? 'Upload a new server executable to the configured update file (nothing restarts yet)' : 'Hotswap needs "mode": "hotswap" in the config; this daemon runs blue/green (deploy a release instead)';
  $('btn-update').title = hotswap ? 'Hot-swap the uploaded executable in: hold, stop, swap, start, health check, release' : $('btn-upload').title;
}

function showMessage(kind, text) {
  $('message').className = `message ${kind}`;
  $('message-text').textContent = text;
  $('message').hidden = false;
}

/** Runs one action: confirm, call, show the answer or the daemon's error message, refresh. */
async function act(label, confirmText, call, describe) {
  if (confirmText && !window.confirm(confirmText)) return;
  ui.busy = true;
  updateButtons();
  showMessage('info', `${label}…`);
  try {
    const result = await call();
    showMessage('ok', describe(result));
    if (result?.status?.slots) renderStatus(result.status);
  } catch (err) {
    if (err.status !== 401) showMessage('error', `${label} failed${err.status ? ` (${err.status} ${err.code})` : ''}: ${err.message}`);
  } finally {
    ui.busy = false;
    updateButtons();
    scheduleRefresh({ history: true });
  }
}

const slotVersion = (name) => (name ? `${name.toUpperCase()} (${ui.status?.slots?.[name]?.version ?? '?'})` : '?');

function onFlip() {
  const s = ui.status;
  const other = s?.live === 'a' ? 'b' : 'a';
  void act('Flip', `Flip: make slot ${slotVersion(other)} live instead of ${slotVersion(s?.live)}?`, () => api('POST', 'api/flip'), (r) =>
    `Flipped: slot ${String(r.to ?? other).toUpperCase()} is live${r.switchMs !== undefined ? ` (switch ${Number(r.switchMs).toFixed(3)} ms)` : ''}.`,
  );
}

function onRollback() {
  void act('Rollback', `Rollback: return from ${slotVersion(ui.status?.live)} to the previous release?`, () => api('POST', 'api/rollback'), (r) =>
    r.message ?? `Rolled back${r.to ? `: slot ${String(r.to).toUpperCase()} is live` : ''}.`,
  );
}

function onDrain() {
  const draining = SLOTS.filter((n) => ui.status?.slots?.[n]?.state === 'draining').map((n) => n.toUpperCase());
  void act('Drain now', `Drain now: stop slot ${draining.join(', ') || '?'} as soon as its in-flight requests finish? Rollback will then need a redeploy.`, () => api('POST', 'api/drain', { json: { now: true } }), (r) =>
    r.message ?? 'Draining slot stopped.',
  );
}

function onHold() {
  if ($('btn-hold').dataset.action === 'resume') {
    void act('Resume', null, () => api('POST', 'api/resume'), (r) => {
      const held = r.hold ?? r;
      const parts = [`Resumed${Number.isFinite(held.heldMs) ? ` after ${fmtMs(held.heldMs)} on hold` : ''}`];
      if (Number.isFinite(held.waiting)) parts.push(`${held.waiting} waiting request(s) replayed in arrival order`);
      if (held.on) parts.push(`still on hold by ${(held.reasons ?? []).join(', ') || 'another operation'}`);
      return r.message ?? `${parts.join('; ')}.`;
    });
  } else {
    void act('Hold', 'Hold: queue every new request instead of forwarding it, until you press Resume?', () => api('POST', 'api/hold'), (r) => r.message ?? 'Requests are on hold: new ones wait, in-flight ones finish.');
  }
}

async function sha256Hex(file) {
  if (!globalThis.crypto?.subtle || file.size > 512 * 1024 * 1024) return null; // only in secure contexts (https or loopback)
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function onUploadChosen() {
  const input = $('exe-file');
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  void act(
    'Upload Exe',
    null,
    async () => {
      showMessage('info', `Uploading ${file.name} (${fmtBytes(file.size)})…`);
      const sha = await sha256Hex(file).catch(() => null);
      const query = sha ? `?sha256=${sha}` : '';
      return api('POST', `api/hotswap/upload${query}`, { body: file, headers: { 'content-type': 'application/octet-stream' } });
    },
    (r) => `${r.message ?? 'Uploaded'}: ${file.name}, ${fmtBytes(r.bytes)}, sha256 ${shortSha(r.sha256)}. Press Update Exe to swap it in.`,
  );
}

function onUpdate() {
  void act('Update Exe', 'Update Exe: put requests on hold, stop the instances, swap in the uploaded executable and start it?', () => api('POST', 'api/hotswap/update'), (r) =>
    [
      r.message ?? 'Exe Updated',
      r.version ? `version ${r.version}` : null,
      Number.isFinite(r.size) ? fmtBytes(r.size) : null,
      r.mtime ? `mtime ${r.mtime}` : null,
      r.sha256 ? `sha256 ${shortSha(r.sha256)}` : null,
      Number.isFinite(r.heldMs) ? `requests held ${fmtMs(r.heldMs)}` : null,
      Number.isFinite(r.queued) ? `${r.queued} queued` : null,
    ]
      .filter(Boolean)
      .join(' · '),
  );
}

// ---------- wiring ----------

$('login-form').addEventListener('submit', onLogin);
$('logout').addEventListener('click', () => askForToken(null));
$('message-close').addEventListener('click', () => ($('message').hidden = true));
$('btn-flip').addEventListener('click', onFlip);
$('btn-rollback').addEventListener('click', onRollback);
$('btn-drain').addEventListener('click', onDrain);
$('btn-hold').addEventListener('click', onHold);
$('btn-upload').addEventListener('click', () => $('exe-file').click());
$('exe-file').addEventListener('change', onUploadChosen);
$('btn-update').addEventListener('click', onUpdate);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && ui.token) scheduleRefresh({ history: true });
});

if (ui.token) start(null);
else askForToken(null);

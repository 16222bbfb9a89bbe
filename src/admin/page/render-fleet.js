// The fleet card (docs/fleet.md): GET /api/fleet/status, one row per node (name, URL, live slot and version, ready,
// last heartbeat) and whether etcd is reachable. Shown only when /api/status says the daemon is a fleet node.
import { api, getToken } from './api-client.js';
import { $, h, safeHref } from './dom-builder.js';
import { fmtAgo } from './display-format.js';

/** After each status read: a fleet node's status has "fleet"; without it nothing is asked and the card stays hidden. */
export async function refreshFleet(status) {
  if (!status?.fleet) {
    $('fleet-card').hidden = true;
    return;
  }
  await readFleet();
}

// Other nodes' heartbeats and etcd's reachability change without an event on this daemon: the card polls itself.
const FLEET_POLL_MS = 2000;
let pollTimer = null;

async function readFleet() {
  try {
    renderFleet(await api('GET', 'api/fleet/status'));
  } catch {
    // The daemon briefly away: the last rows stay; the connection indicator says what is wrong.
  }
  clearTimeout(pollTimer);
  pollTimer = setTimeout(() => {
    if (getToken() && !document.hidden && !$('fleet-card').hidden) void readFleet();
  }, FLEET_POLL_MS);
}

function readyCell(node) {
  if (node.ready === undefined) return h('td', { class: 'muted' }, '–');
  return h('td', { class: node.ready ? 'status-ok' : 'status-bad', title: node.reason ?? '' }, node.ready ? 'ready' : 'not ready');
}

export function renderFleet(s) {
  $('fleet-card').hidden = false;
  const reachable = s.etcd === 'reachable';
  const etcd = $('fleet-etcd');
  etcd.textContent = reachable ? 'etcd reachable' : 'etcd UNREACHABLE';
  etcd.className = `tag ${reachable ? 'status-ok' : 'status-bad'}`;
  etcd.title = reachable ? s.endpoints.join(', ') : (s.message ?? '');
  $('fleet-release').textContent = s.release ? `fleet release ${s.release.version}, committed by ${s.release.coordinator}` : reachable ? 'no fleet release yet' : 'fleet release unknown while etcd is away';
  const rows = (s.nodes ?? []).map((n) =>
    h(
      'tr',
      { dataset: { node: n.name } },
      h('td', null, n.name === s.node ? h('strong', null, `${n.name} (this node)`) : n.name),
      h('td', null, safeHref(n.advertiseUrl) ? h('a', { href: safeHref(n.advertiseUrl), target: '_blank', rel: 'noopener noreferrer' }, n.advertiseUrl) : String(n.advertiseUrl ?? '–')),
      h('td', null, n.live ?? '–'),
      h('td', null, n.version ?? '–'),
      h('td', null, `${n.healthy}/${n.total}`),
      readyCell(n),
      h('td', { title: n.heartbeatAt ?? '' }, fmtAgo(n.heartbeatAt) || '–'),
    ),
  );
  $('fleet-nodes').replaceChildren(...rows);
}

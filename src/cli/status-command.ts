// slotswap status: the slots table, which slot is live, hold state and the manifest URL.
import type { Status } from '../ops/status.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson, table } from './output.js';
import { verb } from './verb.js';
import { formatTlsStatus } from '../tls/tls-status-lines.js';
import { formatCanary } from './canary-format.js';
import { describeSize } from '../release/client-files.js';

/** 2000 -> "2 s", 100 -> "0.1 s": a duration the config set, as people write it. */
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(2))} s`;

/** When a draining slot stops: once idle (after the grace), and at the latest (the drain's hard timeout). */
export function describeDrain(drain: NonNullable<Status['slots']['a']['drain']>): string {
  return `stops when idle ${seconds(drain.idleNeededMs)} after the grace ends (in ≥ ${Math.ceil(drain.earliestStopInMs / 1000)} s); at the latest in ${Math.ceil(drain.timeLeftMs / 1000)} s`;
}

export function formatStatus(status: Status): string {
  const rows = [['slot', 'state', 'version', 'min compatible', 'instances', 'in-flight', 'since']];
  const drains: string[] = [];
  for (const [name, slot] of Object.entries(status.slots)) {
    if (slot.drain) drains.push(`slot ${name} drains (${slot.drain.inFlight} in flight, idle ${seconds(slot.drain.idleMs)}): ${describeDrain(slot.drain)}`);
    rows.push([
      `${name}${slot.live ? ' *' : ''}`,
      slot.state,
      slot.version ?? '-',
      slot.minCompatibleVersion ?? '-',
      `${slot.healthy}/${slot.total}`,
      String(slot.inFlight),
      slot.since,
    ]);
  }
  const lines = [table(rows), ...drains, ''];
  lines.push(`live: ${status.live ?? 'none'}    hold: ${status.hold.on ? `on (${status.hold.queued} queued)` : 'off'}    operation: ${status.operation?.op ?? 'none'}`);
  lines.push(`public URL: ${status.publicUrl}/    manifest: ${status.manifestUrl}`);
  const m = status.maintenance;
  // Only while on: a status without maintenance reads as it always did.
  if (m.on) lines.push(`maintenance: ON since ${m.since} (503, Retry-After ${m.retryAfterS} s${m.page ? `, page ${m.page.file ?? ''} ${m.page.bytes} bytes` : ''}): ${JSON.stringify(m.message)}; slotswap maintenance off ends it`);
  const progressive = formatCanary(status.canary, status.watch);
  if (progressive) lines.push(progressive);
  for (const [name, slot] of Object.entries(status.slots)) {
    const c = slot.clientFiles;
    if (c) lines.push(`client files ${name}: ${c.files} files, ${describeSize(c.bytes)}, version ${c.version}`);
  }
  lines.push(...formatTlsStatus(status.tls));
  return lines.join('\n');
}

interface FleetStatus {
  etcd: 'reachable' | 'unreachable';
  endpoints: string[];
  node: string;
  message?: string;
  release: { version: string; deployId: string; coordinator: string; at: string } | null;
  nodes: { name: string; advertiseUrl: string; live: string | null; version: string | null; healthy: number; total: number; heartbeatAt: string }[];
}

/** status --fleet: etcd's state, the fleet's release, and one row per registered node. */
export function formatFleetStatus(fleet: FleetStatus): string {
  const lines = [fleet.etcd === 'reachable' ? `etcd: reachable (${fleet.endpoints.join(', ')})` : `etcd: UNREACHABLE (${fleet.endpoints.join(', ')}): fleet operations are refused until it is back; every proxy keeps serving`];
  lines.push(fleet.release ? `fleet release: ${fleet.release.version} (deploy ${fleet.release.deployId}, by ${fleet.release.coordinator} at ${fleet.release.at})` : 'fleet release: none yet (no fleet deploy so far)');
  const rows = [['node', 'url', 'live', 'version', 'instances', 'heartbeat']];
  for (const n of fleet.nodes) rows.push([`${n.name}${n.name === fleet.node ? ' (this)' : ''}`, n.advertiseUrl, n.live ?? '-', n.version ?? '-', `${n.healthy}/${n.total}`, n.heartbeatAt]);
  return [...lines, table(rows)].join('\n');
}

export async function statusCommand(options: GlobalOptions & { fleet?: boolean }): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  if (options.fleet) {
    const fleet = await client.json<FleetStatus>('GET', '/api/fleet/status');
    if (options.json) printJson(fleet);
    else console.log(formatFleetStatus(fleet));
    return 0;
  }
  const status = await client.json<Status>('GET', '/api/status');
  if (options.json) printJson(status);
  else console.log(formatStatus(status));
  // A fleet node says when etcd is away (a daemon without "fleet" answers 404, and nothing is added).
  if (!options.json) {
    const node = await client.json<{ etcd?: string; ready?: boolean; notReady?: string | null }>('GET', '/api/fleet/node').catch(() => null);
    if (node?.etcd === 'unreachable') console.log('fleet: etcd is UNREACHABLE: fleet operations are refused; the proxy keeps serving (slotswap status --fleet)');
    else if (node?.etcd) console.log(`fleet: etcd reachable; this node ${node.ready ? 'is ready' : `is not ready (${node.notReady})`} (slotswap status --fleet)`);
  }
  return 0;
}

export const statusVerb = verb({
  command: 'status',
  describe: 'show both slots, which is live, in-flight requests, drains and the manifest URL',
  builder: (y) => y.option('fleet', { type: 'boolean', default: false, describe: 'list the fleet\'s nodes and whether etcd is reachable (docs/fleet.md)' }),
  run: statusCommand,
});

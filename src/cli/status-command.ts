// slotswap status: the slots table, which slot is live, hold state and the manifest URL.
import type { Status } from '../ops/status.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson, table } from './output.js';
import { verb } from './verb.js';
import { formatTlsStatus } from '../tls/tls-status-lines.js';
import { formatCanary } from './canary-format.js';

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
    if (c) lines.push(`client files ${name}: ${c.files} files, ${(c.bytes / (1024 * 1024)).toFixed(1)} MB, version ${c.version}`);
  }
  lines.push(...formatTlsStatus(status.tls));
  return lines.join('\n');
}

export async function statusCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const status = await client.json<Status>('GET', '/api/status');
  if (options.json) printJson(status);
  else console.log(formatStatus(status));
  return 0;
}

export const statusVerb = verb({ command: 'status', describe: 'show both slots, which is live, in-flight requests, drains and the manifest URL', run: statusCommand });

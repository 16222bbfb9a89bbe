// slotswap status: the slots table, which slot is live, hold state and the manifest URL.
import type { Status } from '../ops/status.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson, table } from './output.js';

export function formatStatus(status: Status): string {
  const rows = [['slot', 'state', 'version', 'min compatible', 'instances', 'in-flight', 'since']];
  for (const [name, slot] of Object.entries(status.slots)) {
    const drain = slot.drain ? ` (drain: ${Math.round(slot.drain.idleMs)} ms idle, ${Math.round(slot.drain.timeLeftMs / 1000)} s left)` : '';
    rows.push([
      `${name}${slot.live ? ' *' : ''}`,
      slot.state + drain,
      slot.version ?? '-',
      slot.minCompatibleVersion ?? '-',
      `${slot.healthy}/${slot.total}`,
      String(slot.inFlight),
      slot.since,
    ]);
  }
  const lines = [table(rows), ''];
  lines.push(`live: ${status.live ?? 'none'}    hold: ${status.hold.on ? `on (${status.hold.queued} queued)` : 'off'}    operation: ${status.operation?.op ?? 'none'}`);
  lines.push(`public URL: ${status.publicUrl}/    manifest: ${status.manifestUrl}`);
  for (const [name, slot] of Object.entries(status.slots)) {
    const c = slot.clientFiles;
    if (c) lines.push(`client files ${name}: ${c.files} files, ${(c.bytes / (1024 * 1024)).toFixed(1)} MB, version ${c.version}`);
  }
  return lines.join('\n');
}

export async function statusCommand(options: GlobalOptions): Promise<number> {
  const client = await AdminClient.fromOptions(options);
  const status = await client.json<Status>('GET', '/api/status');
  if (options.json) printJson(status);
  else console.log(formatStatus(status));
  return 0;
}

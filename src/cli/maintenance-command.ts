// slotswap maintenance on [--message] [--page file.html] [--retry-after s] / off / bypass: maintenance mode.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SlotswapError, describeValue } from '../errors.js';
import { MAX_MAINTENANCE_PAGE_BYTES } from '../defaults.js';
import type { MaintenanceStatus } from '../ops/maintenance.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

export interface MaintenanceOptions extends GlobalOptions {
  action: 'on' | 'off' | 'bypass';
  message: string | undefined;
  page: string | undefined;
  /** Seconds, as typed (checked here, so the error names what was typed). */
  retryAfter: string | undefined;
}

/** Read here, once, at `maintenance on`: the daemon keeps the page and never reads the operator's file. */
export async function readPage(file: string): Promise<string> {
  const info = await stat(file).catch(() => null);
  if (!info || !info.isFile()) throw new SlotswapError('bad_request', `--page ${JSON.stringify(file)}: expected an HTML file, but there is no file there; give the path of the page to show`);
  if (info.size > MAX_MAINTENANCE_PAGE_BYTES) {
    throw new SlotswapError('payload_too_large', `--page ${JSON.stringify(file)}: expected at most ${MAX_MAINTENANCE_PAGE_BYTES} bytes (1 MiB), got ${info.size}; make the page smaller (link its images instead of inlining them)`);
  }
  if (info.size === 0) throw new SlotswapError('bad_request', `--page ${JSON.stringify(file)}: expected an HTML page, got an empty file`);
  return readFile(file, 'utf8');
}

function describeOn(m: MaintenanceStatus, changed: boolean): string {
  const page = m.page ? `, page ${m.page.file ?? ''} (${m.page.bytes} bytes) for browsers` : '';
  const head = changed ? 'maintenance on' : 'maintenance was already on with these settings';
  return `${head}: public requests get 503 with Retry-After ${m.retryAfterS} s${page}; message ${JSON.stringify(m.message)}\n/AppRun.json shows the notice; "slotswap maintenance bypass" prints the value that reaches the live slot; "slotswap maintenance off" ends it`;
}

export async function maintenanceCommand(options: MaintenanceOptions): Promise<number> {
  if (options.action !== 'on' && (options.message !== undefined || options.page !== undefined || options.retryAfter !== undefined)) {
    throw new SlotswapError('bad_request', `--message, --page and --retry-after belong to "maintenance on", not "maintenance ${options.action}"`);
  }
  if (options.retryAfter !== undefined && !/^\d+$/.test(options.retryAfter)) {
    throw new SlotswapError('bad_request', `--retry-after: expected a whole number of seconds, got ${describeValue(options.retryAfter)}`);
  }
  const page = options.action === 'on' && options.page !== undefined ? await readPage(options.page) : undefined;
  const client = await AdminClient.fromOptions(options);
  if (options.action === 'bypass') {
    const answer = await client.json<{ value: string; cookie: string; header: string }>('GET', '/api/maintenance/bypass');
    if (options.json) printJson(answer);
    else {
      console.log(answer.value);
      console.error(`send it as the cookie ${answer.cookie.split('=')[0]}=<value> or the header X-Slotswap-Bypass: <value>; it changes with the admin token`);
    }
    return 0;
  }
  if (options.action === 'on') {
    const body = { message: options.message, retryAfterS: options.retryAfter === undefined ? undefined : Number(options.retryAfter), ...(page !== undefined ? { page, pageFile: path.basename(options.page!) } : {}) };
    const answer = await client.json<{ changed: boolean; maintenance: MaintenanceStatus }>('PUT', '/api/maintenance', body);
    if (options.json) printJson(answer);
    else console.log(describeOn(answer.maintenance, answer.changed));
    return 0;
  }
  const answer = await client.json<{ changed: boolean }>('DELETE', '/api/maintenance');
  if (options.json) printJson(answer);
  else console.log(answer.changed ? 'maintenance off: public requests reach the live slot again' : 'maintenance was not on');
  return 0;
}

export const maintenanceVerb = verb({
  command: 'maintenance <action>',
  describe: 'maintenance mode: answer every public request 503 (on), stop (off), or print the bypass value (bypass)',
  builder: (y) =>
    y
      .positional('action', { choices: ['on', 'off', 'bypass'] as const, demandOption: true, describe: 'on, off, or bypass' })
      .option('message', { type: 'string', describe: 'on: the text clients see (JSON, plain text and the manifest notice)' })
      .option('page', { type: 'string', describe: 'on: an HTML file (at most 1 MiB) shown to browsers; read now, kept by the daemon' })
      .option('retry-after', { type: 'string', describe: 'on: the Retry-After of the 503 answers, in seconds (default 60)' }),
  run: maintenanceCommand,
});

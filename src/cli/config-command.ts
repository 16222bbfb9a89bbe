// slotswap config check: validate the config and print it with every path resolved; beside a running daemon for it,
// also each key the file changes against the daemon's config, and what that needs (restart, stop and start, next deploy).
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { loadConfig } from '../config/load-config.js';
import type { Config, SlotName } from '../config/config-types.js';
import { SLOT_NAMES } from '../config/config-types.js';
import { CONFIG_CHECK_DAEMON_TIMEOUT_MS } from '../defaults.js';
import { runtimeFile, type DaemonRuntimeInfo } from '../runtime-file.js';
import { compareConfigs, describeVerdict, type ConfigChange } from '../restart/config-changes.js';
import { tlsEnabled } from '../tls/tls-config.js';
import { AdminClient } from './admin-client.js';
import type { GlobalOptions } from './global-options.js';
import { printJson } from './output.js';
import { verb } from './verb.js';

interface Running {
  pid: number;
  adminUrl: string;
  config: Config;
  kept: Set<SlotName>;
}

type Probe = { running: Running } | { none: string };

async function getJson(client: AdminClient, path: string): Promise<{ status: number; body: unknown }> {
  const res: IncomingMessage = await client.request('GET', path, { signal: AbortSignal.timeout(CONFIG_CHECK_DAEMON_TIMEOUT_MS) });
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return { status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : {} };
}

/** The daemon running for this config: the one daemon.json in its state folder names, else the one at its admin URL. */
async function probeDaemon(options: GlobalOptions, config: Config): Promise<Probe> {
  let adminUrl = options.adminUrl ?? process.env.SLOTSWAP_ADMIN_URL;
  if (!adminUrl) adminUrl = await readFile(runtimeFile(config.stateFile), 'utf8').then((text) => (JSON.parse(text) as DaemonRuntimeInfo).adminUrl, () => undefined);
  try {
    const client = await AdminClient.fromOptions({ ...options, adminUrl });
    const answer = await getJson(client, '/api/config');
    if (answer.status === 404) return { none: `the daemon at ${client.baseUrl.origin} does not tell its config (GET /api/config: 404, an older slotswap); nothing compared` };
    if (answer.status !== 200) return { none: `the daemon at ${client.baseUrl.origin} answered GET /api/config with ${answer.status}; nothing compared` };
    const { pid, config: running } = answer.body as { pid: number; config: Config };
    const status = (await getJson(client, '/api/status')).body as { live: SlotName | null; slots: Record<SlotName, { state: string; version: string | null }> };
    const kept = new Set(SLOT_NAMES.filter((slot) => status.slots[slot].version !== null && (slot === status.live || status.slots[slot].state === 'draining')));
    return { running: { pid, adminUrl: client.baseUrl.origin, config: running, kept } };
  } catch (err) {
    return { none: `no running daemon for this config (${(err as Error).message}); nothing compared` };
  }
}

/** A derived public URL names the bound port, which differs from a configured port 0: not a change. */
function derivedKeys(config: Config): Set<string> {
  return new Set(config.proxy.port === 0 || (tlsEnabled(config) && config.proxy.tls.port === 0) ? ['proxy.publicUrl'] : []);
}

function changesAgainst(running: Running, config: Config): ConfigChange[] {
  return compareConfigs({
    running: running.config as unknown as Record<string, unknown>,
    file: config as unknown as Record<string, unknown>,
    kept: running.kept,
    tlsOnBoth: tlsEnabled(running.config) && tlsEnabled(config),
    ignore: derivedKeys(config),
  });
}

export async function configCheckCommand(options: GlobalOptions): Promise<number> {
  const config = await loadConfig(options.config);
  const probe = await probeDaemon(options, config);
  const changes = 'running' in probe ? changesAgainst(probe.running, config) : null;
  if (options.json) {
    const running = 'running' in probe ? { pid: probe.running.pid, adminUrl: probe.running.adminUrl } : null;
    printJson({ ok: true, config, running, changes, ...('none' in probe ? { note: probe.none } : {}) });
    return 0;
  }
  console.log(JSON.stringify(config, null, 2));
  console.log(`config OK: ${config.file}`);
  if ('none' in probe) console.log(probe.none);
  else if (changes!.length === 0) console.log(`no change against the running daemon (pid ${probe.running.pid})`);
  else {
    console.log(`changes against the running daemon (pid ${probe.running.pid}):`);
    for (const change of changes!) console.log(`  ${change.key}: ${JSON.stringify(change.from)} -> ${JSON.stringify(change.to)}: ${describeVerdict(change.applies)} (${change.why})`);
  }
  return 0;
}

export const configVerb = verb({
  command: 'config <action>',
  describe: 'validate the config',
  builder: (y) => y.positional('action', { choices: ['check'] as const, demandOption: true, describe: 'check: validate and print the config with every path resolved, and what each change against the running daemon needs' }),
  run: configCheckCommand,
});

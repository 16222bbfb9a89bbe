// Starts a real slotswap daemon in a temp folder with free ports, and stops it (by its PID) when the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { CLI, runCli, type CliResult } from './cli.js';
import { freePortRange } from './ports.js';
import { request } from './http-client.js';

export const SAMPLE_API = path.resolve(import.meta.dirname, '../../sites/sample-api');

export interface TestDaemon {
  project: { dir: string; configFile: string; config: Record<string, unknown> };
  dir: string;
  configFile: string;
  proxyUrl: string;
  adminUrl: string;
  token: string;
  process: ChildProcess;
  output: () => string;
  cli: (args: string[], timeoutMs?: number) => Promise<CliResult>;
  api: (method: string, apiPath: string, body?: unknown) => Promise<{ status: number; json: Record<string, unknown>; body: string }>;
  status: () => Promise<StatusView>;
  stop: () => Promise<number | null>;
  exited: Promise<number | null>;
}

export interface SlotStatusView {
  state: string;
  version: string | null;
  minCompatibleVersion: string | null;
  healthy: number;
  total: number;
  inFlight: number;
  instances: { pid: number | null; port: number; healthy: boolean }[];
}

export interface StatusView {
  live: 'a' | 'b' | null;
  slots: Record<'a' | 'b', SlotStatusView>;
  [key: string]: unknown;
}

export type ConfigOverrides = Record<string, unknown>;

function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      typeof value === 'object' && value !== null && !Array.isArray(value) && typeof current === 'object' && current !== null
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

/** A temp project folder with the sample API as bootstrap and a config on free ports. */
export async function makeProject(overrides: ConfigOverrides = {}): Promise<{ dir: string; configFile: string; config: Record<string, unknown> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-test-'));
  await cp(SAMPLE_API, path.join(dir, 'sites/sample-api'), { recursive: true });
  const instances = typeof overrides.instances === 'number' ? overrides.instances : 1;
  const [proxyPort, adminPort, aPort, bPort] = [await freePortRange(1), await freePortRange(1), await freePortRange(instances), await freePortRange(instances)];
  const config = merge(
    {
      app: 'sample-api',
      proxy: { host: '127.0.0.1', port: proxyPort },
      admin: { host: '127.0.0.1', port: adminPort },
      slots: { a: { port: aPort }, b: { port: bPort } },
      health: { intervalMs: 50, timeoutMs: 10_000 },
      drain: { graceMs: 200, idleMs: 100, timeoutMs: 10_000, stopTimeoutMs: 3_000 },
    },
    overrides,
  );
  const configFile = path.join(dir, 'orchestrator.config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  return { dir, configFile, config };
}

/** Copies the sample API into a new release folder with the given release.json changes. */
export async function makeRelease(dir: string, name: string, release: Record<string, unknown> = {}, files: Record<string, string> = {}): Promise<string> {
  const target = path.join(dir, 'releases', name);
  await mkdir(path.dirname(target), { recursive: true });
  await cp(SAMPLE_API, target, { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(target, 'release.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(target, 'release.json'), JSON.stringify({ ...manifest, ...release }, null, 2));
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(target, file), content, { mode: 0o755 });
  return target;
}

async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs: number, daemonOutput: () => string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; daemon output:\n${daemonOutput()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `slotswap start` on an existing project folder and waits until a slot is live. */
export async function startDaemonIn(project: { dir: string; configFile: string; config: Record<string, unknown> }, options: { waitLive?: boolean; env?: NodeJS.ProcessEnv; onTestFinished?: typeof onTestFinished } = {}): Promise<TestDaemon> {
  const { dir, configFile, config } = project;
  let output = '';
  const child = spawn(process.execPath, [CLI, 'start', '--config', configFile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLOTSWAP_ADMIN_TOKEN: '', ...options.env } });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  // A concurrent test passes its own context's hook: the global one cannot tell which test is running.
  (options.onTestFinished ?? onTestFinished)(async () => {
    await stop();
  });
  const proxyPort = (config.proxy as { port: number }).port;
  const adminPort = (config.admin as { port: number }).port;
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const tokenFile = path.join(dir, 'state/admin.token');
  const token = await waitFor('the admin token file', async () => (await readFile(tokenFile, 'utf8')).trim() || null, 20_000, () => output);
  const api = async (method: string, apiPath: string, body?: unknown) => {
    const answer = await request(`${adminUrl}${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: answer.status, json: JSON.parse(answer.body || '{}') as Record<string, unknown>, body: answer.body };
  };
  const status = async () => (await api('GET', '/api/status')).json as unknown as StatusView;
  if (options.waitLive !== false) {
    await waitFor('a live slot', async () => ((await status()).live ? true : null), 30_000, () => output);
    // The bootstrap deploy records its end just after the flip: wait for it, so tests start from a settled state.
    const stateFile = path.join(dir, 'state/slotswap.json');
    await waitFor('the bootstrap to be recorded', async () => ((JSON.parse(await readFile(stateFile, 'utf8')) as { pending: unknown }).pending === null ? true : null), 10_000, () => output);
  }
  return {
    project,
    dir,
    configFile,
    proxyUrl,
    adminUrl,
    token,
    process: child,
    output: () => output,
    cli: (args, timeoutMs) => runCli([...args, '--config', configFile], { cwd: dir, timeoutMs }),
    api,
    status,
    stop,
    exited,
  };
}

export async function startDaemon(overrides: ConfigOverrides = {}): Promise<TestDaemon> {
  return startDaemonIn(await makeProject(overrides));
}

/** Running, not merely a zombie (the bench's check, shared). */
export { isAlive } from '../../bench/lib/processes.mjs';

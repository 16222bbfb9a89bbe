// A real slotswap daemon (`node dist/cli/main.js start`) in a temp folder on free loopback ports, driven through its admin API.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePortRange } from './ports.mjs';
import { sleep, startProcess } from './processes.mjs';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** BENCH_DIST: another build of the daemon (a folder inside the repository, for node_modules), to measure before/after. */
export const CLI = path.join(process.env.BENCH_DIST ? path.resolve(process.env.BENCH_DIST) : path.join(ROOT, 'dist'), 'cli/main.js');
export const SAMPLE_API = path.join(ROOT, 'sites/sample-api');
export const HOTSWAP_SERVER = path.join(ROOT, 'sites/hotswap-server/server');

/** The Node flags `npm start` gives the daemon (package.json), so the bench measures the daemon as operators run it. */
export const DAEMON_NODE_FLAGS = (() => {
  // BENCH_DAEMON_FLAGS: other Node flags for the daemon (space-separated), to compare GC settings in one session.
  if (process.env.BENCH_DAEMON_FLAGS !== undefined) return process.env.BENCH_DAEMON_FLAGS.split(/\s+/).filter(Boolean);
  const start = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const words = start.split(/\s+/);
  return words.slice(1, words.indexOf('dist/cli/main.js')).filter((w) => w.startsWith('--'));
})();

function merge(base, extra) {
  const out = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    const bothObjects = typeof value === 'object' && value !== null && !Array.isArray(value) && typeof current === 'object' && current !== null;
    out[key] = bothObjects ? merge(current, value) : value;
  }
  return out;
}

/**
 * One HTTP request to 127.0.0.1, answered as { status, body } (no agent: a fresh connection each time).
 * @param {string} url @param {{ method?: string, headers?: Record<string,string>, body?: string|Buffer, timeoutMs?: number }} [o]
 */
export function httpRequest(url, o = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers, agent: false, timeout: o.timeoutMs ?? 120_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${o.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

async function waitFor(what, probe, timeoutMs, output) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; daemon output:\n${output()}`);
    await sleep(25);
  }
}

/**
 * Starts a daemon with the sample API as bootstrap (or a hotswap project) and waits until a slot is live.
 * countAccepts: the sample API runs with bench/lib/count-accepts.mjs preloaded (GET /__bench/accepts on an instance's port).
 * @param {{ name: string, config?: Record<string, unknown>, hotswapExe?: string, instances?: number, nodeArgs?: string[], countAccepts?: boolean }} options
 */
export async function startDaemon(options) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `slotswap-bench-${options.name}-`));
  await cp(SAMPLE_API, path.join(dir, 'sites/sample-api'), { recursive: true });
  if (options.countAccepts) {
    const manifestFile = path.join(dir, 'sites/sample-api/release.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
    manifest.start = ['node', '--import', path.join(import.meta.dirname, 'count-accepts.mjs'), ...manifest.start.slice(1)];
    await writeFile(manifestFile, JSON.stringify(manifest, null, 2));
  }
  if (options.hotswapExe) {
    await mkdir(path.join(dir, 'deploy'), { recursive: true });
    await cp(options.hotswapExe, path.join(dir, 'deploy/server'));
  }
  const instances = options.instances ?? 1;
  const ports = { proxy: await freePortRange(1), admin: await freePortRange(1), a: await freePortRange(instances), b: await freePortRange(instances) };
  const config = merge(
    {
      app: 'sample-api',
      proxy: { host: '127.0.0.1', port: ports.proxy, publicUrl: `http://127.0.0.1:${ports.proxy}` },
      admin: { host: '127.0.0.1', port: ports.admin },
      slots: { a: { port: ports.a }, b: { port: ports.b } },
      instances,
    },
    options.config ?? {},
  );
  const configFile = path.join(dir, 'orchestrator.config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const proc = startProcess(process.execPath, [...DAEMON_NODE_FLAGS, ...(options.nodeArgs ?? []), CLI, 'start', '--config', configFile], { cwd: dir, env: { ...process.env, SLOTSWAP_ADMIN_TOKEN: '' } });
  const proxyUrl = `http://127.0.0.1:${ports.proxy}`;
  const adminUrl = `http://127.0.0.1:${ports.admin}`;
  try {
    // An empty file is a token still being written: wait for the real one.
    const token = await waitFor('the admin token file', async () => (await readFile(path.join(dir, 'state/admin.token'), 'utf8')).trim() || null, 20_000, proc.output);
    /** @param {string} method @param {string} apiPath @param {unknown} [body] */
    const api = async (method, apiPath, body) => {
      const headers = { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
      const answer = await httpRequest(`${adminUrl}${apiPath}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      let json = {};
      try {
        json = JSON.parse(answer.body || '{}');
      } catch {
        json = { raw: answer.body };
      }
      if (answer.status >= 400) throw new Error(`${method} ${apiPath} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      return json;
    };
    await waitFor('a live slot', async () => (await api('GET', '/api/status')).live, 30_000, proc.output);
    const stateFile = path.join(dir, 'state/slotswap.json');
    await waitFor('the bootstrap to be recorded', async () => JSON.parse(await readFile(stateFile, 'utf8')).pending === null, 10_000, proc.output);
    const cli = (args, timeoutMs = 60_000) => runCli([...args, '--config', configFile], dir, timeoutMs);
    const stop = async () => {
      await proc.stop(20_000);
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    };
    return { dir, config, configFile, ports, proxyUrl, adminUrl, token, pid: proc.pid, api, cli, stop, output: proc.output };
  } catch (err) {
    await proc.stop(5_000);
    throw err;
  }
}

/** Runs the built CLI as a real process; resolves with its exit code, output and wall time. */
export async function runCli(args, cwd, timeoutMs = 60_000) {
  const started = performance.now();
  const proc = startProcess(process.execPath, [CLI, ...args], { cwd });
  let stdout = '';
  proc.child.stdout.on('data', (c) => (stdout += c.toString()));
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout, output: proc.output(), ms: performance.now() - started };
}

/** Makes a release folder: the sample API with another version in release.json. */
export async function makeRelease(dir, version) {
  const target = path.join(dir, 'releases', version);
  await mkdir(path.dirname(target), { recursive: true });
  await cp(SAMPLE_API, target, { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(target, 'release.json'), 'utf8'));
  await writeFile(path.join(target, 'release.json'), JSON.stringify({ ...manifest, version, minCompatibleVersion: '1.0.0' }, null, 2));
  return target;
}

// The demo's project folders in a temp directory: a blue/green app and a hotswap app, each with its config on free ports.
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePortRange } from '../bench/lib/ports.mjs';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const CLI = path.join(ROOT, 'dist/cli/main.js');
const SAMPLE_API = path.join(ROOT, 'sites/sample-api');
const HOTSWAP_SERVER = path.join(ROOT, 'sites/hotswap-server/server');
/** The old slot keeps running at least this long after a flip: a rollback within it is an instant flip back. */
export const DRAIN_GRACE_MS = 1_500;

/**
 * @typedef {{ name: string, dir: string, configFile: string, proxyUrl: string, adminUrl: string, tokenFile: string }} Project
 */

async function writeProject(dir, name, config) {
  const configFile = path.join(dir, 'orchestrator.config.json');
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return {
    name,
    dir,
    configFile,
    proxyUrl: `http://127.0.0.1:${config.proxy.port}`,
    adminUrl: `http://127.0.0.1:${config.admin.port}`,
    tokenFile: path.join(dir, 'state/admin.token'),
  };
}

/** Settings both apps share: loopback ports, quick health checks, a short drain. */
async function baseConfig(instances) {
  const proxyPort = await freePortRange(1);
  return {
    proxy: { host: '127.0.0.1', port: proxyPort, publicUrl: `http://127.0.0.1:${proxyPort}` },
    admin: { host: '127.0.0.1', port: await freePortRange(1) },
    slots: { a: { port: await freePortRange(instances) }, b: { port: await freePortRange(instances) } },
    instances,
    health: { intervalMs: 50, timeoutMs: 10_000 },
    drain: { graceMs: DRAIN_GRACE_MS, idleMs: 100, timeoutMs: 10_000, stopTimeoutMs: 3_000 },
  };
}

/** sites/sample-api copied as the bootstrap release of a blue/green app. */
export async function makeBlueGreenProject(root) {
  const dir = path.join(root, 'bluegreen');
  await cp(SAMPLE_API, path.join(dir, 'sites/sample-api'), { recursive: true });
  return writeProject(dir, 'blue/green', { app: 'sample-api', mode: 'bluegreen', bootstrap: 'sites/sample-api', ...(await baseConfig(1)) });
}

/** sites/hotswap-server/server copied to deploy/server, run as two instances in hotswap mode. */
export async function makeHotswapProject(root) {
  const dir = path.join(root, 'hotswap');
  await mkdir(path.join(dir, 'deploy'), { recursive: true });
  await cp(HOTSWAP_SERVER, path.join(dir, 'deploy/server'));
  await chmod(path.join(dir, 'deploy/server'), 0o755);
  return writeProject(dir, 'hotswap', {
    app: 'hotswap-server',
    mode: 'hotswap',
    hotswap: { exeFile: 'deploy/server', updateFile: 'deploy/server_update' },
    ...(await baseConfig(2)),
  });
}

/**
 * A new "build" of the sample server executable: its VERSION line changed, and a start-up delay
 * so the hold has something to hold.
 */
export async function buildExe(project, version, startupMs) {
  let source = await readFile(HOTSWAP_SERVER, 'utf8');
  const versionLine = "const VERSION = '1.0.0';";
  if (!source.includes(versionLine)) throw new Error(`${HOTSWAP_SERVER} has no line ${versionLine}`);
  source = source.replace(versionLine, `const VERSION = '${version}';`).replace('const STARTUP_MS = 0;', `const STARTUP_MS = ${startupMs};`);
  const file = path.join(project.dir, 'builds', `server-${version}`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, source, { mode: 0o755 });
  return file;
}

// Debian's Caddy as a peer (Go, the class of kamal-proxy): GOMAXPROCS=1, admin endpoint off, no automatic HTTPS,
// reverse_proxy with keep-alive to the backend and an idle pool as large as the client count.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePortRange } from './ports.mjs';
import { startProcess } from './processes.mjs';
import { waitServing } from './peer-start.mjs';
import { peerVersion } from './haproxy.mjs';

export const CADDY = process.env.BENCH_CADDY ?? '/usr/bin/caddy';
export const CADDY_INSTALL_HINT = 'Caddy is not installed, so its column is empty; install it with: sudo apt-get install -y caddy (the bench runs its own on a free loopback port, admin endpoint off)';

export const caddyAvailable = () => existsSync(CADDY);

function configJson(backendPort, listeners) {
  const servers = Object.fromEntries(listeners.map(({ clients, port }) => [`bench_${clients}`, {
    listen: [`127.0.0.1:${port}`],
    automatic_https: { disable: true },
    routes: [{ handle: [{
      handler: 'reverse_proxy',
      upstreams: [{ dial: `127.0.0.1:${backendPort}` }],
      transport: { protocol: 'http', keep_alive: { enabled: true, max_idle_conns_per_host: Math.max(clients, 10) } },
    }] }],
  }]));
  return { admin: { disabled: true }, logging: { logs: { default: { level: 'ERROR' } } }, apps: { http: { servers } } };
}

/** @param {number} backendPort @param {number[]} clientCounts */
export async function startCaddy(backendPort, clientCounts) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-bench-caddy-'));
  const listeners = [];
  for (const clients of clientCounts) listeners.push({ clients, port: await freePortRange(1) });
  const conf = path.join(dir, 'caddy.json');
  await writeFile(conf, JSON.stringify(configJson(backendPort, listeners), null, 2));
  // Its data and config folders in the temp folder: the bench never touches the system Caddy's.
  const env = { ...process.env, GOMAXPROCS: '1', HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir };
  const proc = startProcess(CADDY, ['run', '--config', conf], { env });
  const urls = Object.fromEntries(listeners.map(({ clients, port }) => [clients, `http://127.0.0.1:${port}`]));
  await waitServing('Caddy', proc, urls[clientCounts[0]]);
  const version = await peerVersion(CADDY, ['version'], /^v?(\S+)/);
  return { name: 'caddy', label: `Caddy ${version}, GOMAXPROCS=1, keep-alive pool = client count`, pid: proc.pid, urls, stop: async () => {
    await proc.stop(5_000);
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  } };
}

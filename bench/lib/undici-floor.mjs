// The floor for a Node proxy as a peer: bench/lib/undici-floor-proxy.mjs in its own node (the daemon's Node flags, so
// both run with the same GC), one listener for every client count, in front of the same backend.
import path from 'node:path';
import { freePortRange } from './ports.mjs';
import { startProcess } from './processes.mjs';
import { waitServing } from './peer-start.mjs';
import { DAEMON_NODE_FLAGS } from './daemon.mjs';


/** @param {number} backendPort @param {number[]} clientCounts */
export async function startUndiciFloor(backendPort, clientCounts) {
  const port = await freePortRange(1);
  const script = path.join(import.meta.dirname, 'undici-floor-proxy.mjs');
  const proc = startProcess(process.execPath, [...DAEMON_NODE_FLAGS, script, String(port), String(backendPort)], {});
  const url = `http://127.0.0.1:${port}`;
  await waitServing('the undici floor proxy', proc, url);
  return {
    name: 'undici',
    label: `the smallest Node ${process.version} proxy: node:http + one undici Pool, hop-by-hop headers dropped, nothing routed or counted (the floor for a Node proxy)`,
    pid: proc.pid,
    urls: Object.fromEntries(clientCounts.map((c) => [c, url])),
    stop: () => proc.stop(5_000),
  };
}

// The peer proxies measured beside slotswap (nginx, HAProxy, Caddy, and the floor of a Node proxy on undici), each in
// front of the same backend, started on free loopback ports; a missing one is named with how to install it, and the
// rest are measured.
import { NGINX_INSTALL_HINT, nginxAvailable, startNginx } from './nginx.mjs';
import { HAPROXY_INSTALL_HINT, haproxyAvailable, startHaproxy } from './haproxy.mjs';
import { CADDY_INSTALL_HINT, caddyAvailable, startCaddy } from './caddy.mjs';
import { startUndiciFloor } from './undici-floor.mjs';

export const PEERS = [
  { name: 'nginx', available: nginxAvailable, start: startNginx, hint: NGINX_INSTALL_HINT },
  { name: 'haproxy', available: haproxyAvailable, start: startHaproxy, hint: HAPROXY_INSTALL_HINT },
  { name: 'caddy', available: caddyAvailable, start: startCaddy, hint: CADDY_INSTALL_HINT },
  // Node runs the bench and undici is slotswap's own dependency: the floor is always there, so it has no install hint.
  { name: 'undici', available: () => true, start: startUndiciFloor, hint: '' },
];

/**
 * @param {number} backendPort @param {number[]} clientCounts @param {(s: string) => void} log @param {string[]} [names]
 * @returns {Promise<{ running: { name: string, label: string, pid: number, urls: Record<number, string>, stop: () => Promise<void> }[], missing: Record<string, string>, stopAll: () => Promise<void> }>}
 */
export async function startPeers(backendPort, clientCounts, log, names = PEERS.map((p) => p.name)) {
  const running = [];
  const missing = {};
  const stopAll = async () => {
    for (const peer of running) await peer.stop();
  };
  try {
    for (const peer of PEERS.filter((p) => names.includes(p.name))) {
      if (!peer.available()) {
        missing[peer.name] = peer.hint;
        log(peer.hint);
        continue;
      }
      running.push(await peer.start(backendPort, clientCounts));
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { running, missing, stopAll };
}

// Free loopback ports below the ephemeral range (so load clients never collide with them), never handed out twice.
import net from 'node:net';

const taken = new Set();

function isFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** @param {number} count @returns {Promise<number>} the first port of `count` consecutive free ones */
export async function freePortRange(count = 1) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = !taken.has(p) && (await isFree(p));
    if (ok) {
      for (let p = base; p < base + count; p++) taken.add(p);
      return base;
    }
  }
  throw new Error('no free port range found on 127.0.0.1');
}

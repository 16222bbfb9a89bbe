// Free loopback ports below the ephemeral range (so load clients never collide with them), never handed out twice.
import net from 'node:net';

const taken = new Set();
const LOWEST = 20_000;
const SPAN = 12_000;
/** Test files run in two vitest workers at once: each worker picks from its own share of the range. */
const POOLS = 2;
const pool = Number(process.env.VITEST_POOL_ID ?? 0);
const [from, width] = pool >= 1 ? [LOWEST + ((pool - 1) % POOLS) * (SPAN / POOLS), SPAN / POOLS] : [LOWEST, SPAN];

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
    const base = from + Math.floor(Math.random() * (width - count));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = !taken.has(p) && (await isFree(p));
    if (ok) {
      for (let p = base; p < base + count; p++) taken.add(p);
      return base;
    }
  }
  throw new Error('no free port range found on 127.0.0.1');
}

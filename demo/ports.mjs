// Free loopback ports for the demo's daemons: runs of consecutive ports, never handed out twice.
import net from 'node:net';

function isFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

const taken = new Set();

/**
 * The first of `count` consecutive free ports.
 * @param {number} count
 * @returns {Promise<number>}
 */
export async function freePortRange(count = 1) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let free = true;
    for (let port = base; port < base + count && free; port++) free = !taken.has(port) && (await isFree(port));
    if (free) {
      for (let port = base; port < base + count; port++) taken.add(port);
      return base;
    }
  }
  throw new Error('no free range of loopback ports found');
}

// The smallest Node proxy on undici, run as its own process by bench/lib/undici-floor.mjs: node:http in front, one
// undici Pool behind, hop-by-hop headers dropped and nothing routed, gated or counted. What is left of slotswap's cost
// above it is slotswap's own; what is common to both is Node's.
// `node undici-floor-proxy.mjs <listen port> <backend port>`; prints "ready" once it listens.
import http from 'node:http';
import { createRequire } from 'node:module';

const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js');
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const [port, backendPort] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.1:${backendPort}`, { pipelining: 1 });

http
  .createServer((req, res) => {
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (!HOP_BY_HOP.has(req.rawHeaders[i].toLowerCase())) headers.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    pool.dispatch({ path: req.url, method: req.method, headers, body: hasBody ? req : null }, {
      onConnect() {},
      onHeaders(status, raw, resume) {
        if (status < 200) return true;
        const out = [];
        for (let i = 0; i < raw.length; i += 2) {
          const name = raw[i].toString('latin1');
          if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, raw[i + 1].toString('latin1'));
        }
        res.writeHead(status, out);
        res.on('drain', resume);
        return true;
      },
      onData: (chunk) => res.write(chunk),
      onComplete: () => res.end(),
      onError: (err) => (res.headersSent ? res.destroy(err) : res.writeHead(502).end()),
    });
  })
  .listen(port, '127.0.0.1', () => console.log('ready'));

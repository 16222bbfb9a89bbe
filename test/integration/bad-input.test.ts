import http from 'node:http';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { rawExchange } from '../helpers/raw-http.js';
import { stateProblems } from '../../src/state/validate-state.js';
import { writeTarball, type TarEntry } from '../helpers/tarball.js';

const tarball = (dir: string, name: string, entries: TarEntry[]) => writeTarball(path.join(dir, 'bad', `${name}.tgz`), entries);

const RELEASE_JSON = JSON.stringify({ name: 'evil', version: '9.0.0', start: ['node', 'server.mjs'] });

/** Sends raw bytes to the proxy and returns the status line of the answer (or how the connection ended). */
async function raw(port: number, payload: string, waitMs = 10_000): Promise<string> {
  return (await rawExchange(port, payload, waitMs)).split('\r\n')[0]!;
}

/** An upload without a declared length: the limit can only be enforced while the body streams in. */
function chunkedUpload(d: TestDaemon, url: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${d.adminUrl}${url}`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    for (let sent = 0; sent < bytes; sent += 500) req.write(Buffer.alloc(500, 7));
    req.end();
  });
}

interface Case {
  name: string;
  run: (d: TestDaemon) => Promise<number | string | null>;
  expected: number | string | RegExp;
}

const api = async (d: TestDaemon, method: string, url: string, body?: string, headers: Record<string, string> = {}) =>
  (await request(`${d.adminUrl}${url}`, { method, headers: { authorization: `Bearer ${d.token}`, ...headers }, ...(body === undefined ? {} : { body }) })).status;
const deployFile = async (d: TestDaemon, file: string) => (await d.cli(['deploy', file])).code;
const proxyPort = (d: TestDaemon) => Number(new URL(d.proxyUrl).port);

const cases: Case[] = [
  { name: 'a tarball with a ../ entry', expected: 2, run: async (d) => deployFile(d, await tarball(d.dir, 'dotdot', [{ name: 'release.json', content: RELEASE_JSON }, { name: '../escape.txt', content: 'x' }])) },
  { name: 'a tarball with an absolute path', expected: 2, run: async (d) => deployFile(d, await tarball(d.dir, 'absolute', [{ name: '/tmp/slotswap-escape.txt', content: 'x' }])) },
  { name: 'a tarball with a symlink pointing outside', expected: 2, run: async (d) => deployFile(d, await tarball(d.dir, 'symlink', [{ name: 'etc', type: 'symlink', linkname: '../../../../etc' }])) },
  { name: 'a tarball with a hard link pointing outside', expected: 2, run: async (d) => deployFile(d, await tarball(d.dir, 'hardlink', [{ name: 'passwd', type: 'link', linkname: '../../../../etc/passwd' }])) },
  { name: 'a tarball with a device file', expected: 2, run: async (d) => deployFile(d, await tarball(d.dir, 'device', [{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }])) },
  { name: 'a 0-byte upload', expected: 2, run: async (d) => { const f = path.join(d.dir, 'bad/empty.tgz'); await mkdir(path.dirname(f), { recursive: true }); await writeFile(f, ''); return deployFile(d, f); } },
  { name: 'a truncated upload', expected: 2, run: async (d) => { const good = await tarball(d.dir, 'whole', [{ name: 'release.json', content: RELEASE_JSON }, { name: 'big.txt', content: 'y'.repeat(50_000) }]); const bytes = await readFile(good); const f = path.join(d.dir, 'bad/truncated.tgz'); await writeFile(f, bytes.subarray(0, bytes.length >> 1)); return deployFile(d, f); } },
  { name: 'a non-gzip upload', expected: 2, run: async (d) => { const f = path.join(d.dir, 'bad/plain.tgz'); await writeFile(f, 'just some text, not a tarball'); return deployFile(d, f); } },
  { name: 'a release without release.json', expected: 2, run: async (d) => deployFile(d, await tarball(d.dir, 'no-manifest', [{ name: 'server.mjs', content: '' }])) },
  { name: 'a release.json that is not JSON', expected: 2, run: async (d) => deployFile(d, await tarball(d.dir, 'bad-json', [{ name: 'release.json', content: '{ name: evil' }])) },
  { name: 'a release.json whose start is not a list', expected: 2, run: async (d) => deployFile(d, await tarball(d.dir, 'bad-start', [{ name: 'release.json', content: JSON.stringify({ name: 'x', version: '9.0.0', start: 'node server.mjs' }) }])) },
  { name: 'a start command that does not exist', expected: 1, run: async (d) => (await d.cli(['deploy', await makeRelease(d.dir, 'no-cmd', { version: '9.0.0', start: ['/nonexistent/server'] })])).code },
  { name: 'an oversized deploy body', expected: 413, run: async (d) => api(d, 'POST', '/api/deploy', 'x'.repeat(3_000)) },
  { name: 'an oversized chunked deploy body', expected: 413, run: async (d) => chunkedUpload(d, '/api/deploy', 3_000) },
  { name: 'a wrong sha256 for a deploy', expected: 422, run: async (d) => { const f = await tarball(d.dir, 'sha', [{ name: 'release.json', content: RELEASE_JSON }]); return api(d, 'POST', `/api/deploy?sha256=${'a'.repeat(64)}`, (await readFile(f)).toString('latin1')); } },
  { name: 'a sha256 that is not hex', expected: 422, run: async (d) => api(d, 'POST', '/api/deploy?sha256=xyz', 'x') },
  { name: 'a flag that is not true or false', expected: 400, run: async (d) => api(d, 'POST', '/api/deploy?allowDowngrade=maybe', 'x') },
  { name: 'invalid JSON for the notice', expected: 400, run: async (d) => api(d, 'PUT', '/api/notice', '{"message": ', { 'content-type': 'application/json' }) },
  { name: 'a notice without a message', expected: 400, run: async (d) => api(d, 'PUT', '/api/notice', '{"mandatory": true}', { 'content-type': 'application/json' }) },
  { name: 'a drain body that is not an object', expected: 400, run: async (d) => api(d, 'POST', '/api/drain', '[1,2]', { 'content-type': 'application/json' }) },
  { name: 'an unknown slot to drain', expected: 404, run: async (d) => api(d, 'POST', '/api/drain', '{"slot": "c", "now": true}', { 'content-type': 'application/json' }) },
  { name: 'an unknown slot for logs', expected: 404, run: async (d) => api(d, 'GET', '/api/logs/zz') },
  { name: 'a history limit that is not a number', expected: 400, run: async (d) => api(d, 'GET', '/api/history?limit=lots') },
  { name: 'an unknown admin route', expected: 404, run: async (d) => api(d, 'POST', '/api/nuke') },
  { name: 'an unknown slot name on the CLI', expected: 2, run: async (d) => (await d.cli(['drain', '--slot', 'c'])).code },
  { name: 'a release path that does not exist', expected: 2, run: async (d) => (await d.cli(['deploy', path.join(d.dir, 'nowhere')])).code },
  { name: 'an unknown slot name in the URL', expected: 404, run: async (d) => (await request(`${d.proxyUrl}/_slots/c/`)).status },
  { name: 'a malformed client version', expected: 400, run: async (d) => (await request(`${d.proxyUrl}/`, { headers: { 'x-client-version': 'banana' } })).status },
  { name: 'CR/LF inside X-Client-Version', expected: /^HTTP\/1\.1 400/, run: async (d) => raw(proxyPort(d), 'GET / HTTP/1.1\r\nHost: x\r\nX-Client-Version: 1.0.0\rInjected: yes\r\n\r\n') },
  { name: 'a megabyte-long X-Client-Version', expected: /^HTTP\/1\.1 431/, run: async (d) => raw(proxyPort(d), `GET / HTTP/1.1\r\nHost: x\r\nX-Client-Version: ${'1'.repeat(1_000_000)}\r\n\r\n`) },
  { name: 'oversized headers', expected: /^HTTP\/1\.1 431/, run: async (d) => raw(proxyPort(d), `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(100)}`).join('\r\n')}\r\n\r\n`) },
  { name: 'a slow client that never finishes its headers', expected: /^HTTP\/1\.1 408|closed without an answer/, run: async (d) => raw(proxyPort(d), 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', 8_000) },
  { name: 'a wrong admin token', expected: 401, run: async (d) => (await request(`${d.adminUrl}/api/status`, { headers: { authorization: 'Bearer nope' } })).status },
];

describe('bad input', () => {
  it(`refuses each of ${cases.length} bad inputs clearly, and the live slot keeps serving with a valid state file`, { timeout: 180_000 }, async () => {
    const daemon = await startDaemon({ uploads: { maxBytes: 2_000_000 }, proxy: { keepAliveTimeoutMs: 1_000, headersTimeoutMs: 1_500 } });
    // The oversized-body case needs a small limit on that one route: a second daemon would cost more than this.
    const small = await startDaemon({ uploads: { maxBytes: 1_000 } });
    const results: string[] = [];
    for (const c of cases) {
      const target = c.name.startsWith('an oversized') ? small : daemon;
      const got = await c.run(target);
      if (c.expected instanceof RegExp) expect(String(got), c.name).toMatch(c.expected);
      else expect(got, c.name).toBe(c.expected);
      const live = await request(`${target.proxyUrl}/`);
      expect(live.status, `${c.name}: live slot`).toBe(200);
      expect(JSON.parse(live.body).version, `${c.name}: live version`).toBe('1.0.0');
      const state = JSON.parse(await readFile(path.join(target.dir, 'state/slotswap.json'), 'utf8')) as unknown;
      expect(stateProblems(state), `${c.name}: state file`).toEqual([]);
      results.push(`${c.name}: ${String(got)}`);
    }
    // Nothing half-extracted or half-uploaded is left behind.
    expect((await readdir(path.join(daemon.dir, 'sites'))).filter((f) => f.includes('incoming'))).toEqual([]);
    expect(await readdir(path.join(daemon.dir, 'state/uploads')).catch(() => [])).toEqual([]);
    await expect(readFile('/tmp/slotswap-escape.txt')).rejects.toThrow();
    console.log(`bad-input suite: ${cases.length} bad inputs tried, all refused with the expected status or exit code\n  ${results.join('\n  ')}`);
  });
});

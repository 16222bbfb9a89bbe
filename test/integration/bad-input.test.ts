import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRelease, SAMPLE_API, startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { rawExchange } from '../helpers/raw-http.js';
import { stateProblems } from '../../src/state/validate-state.js';
import type { StateData } from '../../src/state/state-types.js';
import { writeTarball, type TarEntry } from '../helpers/tarball.js';

const MAX_BYTES = 100_000;
const RELEASE_JSON = JSON.stringify({ name: 'evil', version: '9.0.0', start: ['node', 'server.mjs'] });
const withManifest = (entries: TarEntry[]): TarEntry[] => [{ name: 'release.json', content: RELEASE_JSON }, ...entries];
const manifestOnly = (release: unknown): TarEntry[] => [{ name: 'release.json', content: typeof release === 'string' ? release : JSON.stringify(release) }];

/** What a bad input got: an HTTP status, a CLI exit code or a raw status line, and the message that came with it. */
interface Answer {
  got: number | string;
  message: string;
}

interface Case {
  name: string;
  expected: number | RegExp;
  /** The message must name the offending value (or, for tokens, what to send instead). */
  names: string | RegExp;
  /** A secret that was sent and must not come back. */
  secret?: string;
  run: (d: TestDaemon) => Promise<Answer>;
}

async function call(d: TestDaemon, method: string, url: string, options: { body?: string | Buffer; headers?: Record<string, string>; auth?: string | null } = {}): Promise<Answer> {
  const auth = options.auth === undefined ? `Bearer ${d.token}` : options.auth;
  const headers = { ...(auth === null ? {} : { authorization: auth }), ...options.headers };
  const answer = await request(`${d.adminUrl}${url}`, { method, headers, ...(options.body === undefined ? {} : { body: options.body }) });
  return { got: answer.status, message: messageOf(answer.body) };
}
function messageOf(body: string): string {
  try {
    return String((JSON.parse(body) as { message?: unknown }).message ?? body);
  } catch {
    return body; // not JSON: the raw body is the message
  }
}
const sendJson = (d: TestDaemon, method: string, url: string, body: string, contentType = 'application/json') => call(d, method, url, { body, headers: { 'content-type': contentType } });
const cli = async (d: TestDaemon, args: string[]): Promise<Answer> => {
  const r = await d.cli(args);
  return { got: r.code ?? -1, message: `${r.stderr}\n${r.stdout}` };
};
const deployTar = async (d: TestDaemon, name: string, entries: TarEntry[]) => cli(d, ['deploy', await writeTarball(path.join(d.dir, 'bad', `${name}.tgz`), entries)]);
const deployBytes = async (d: TestDaemon, name: string, bytes: Buffer | string) => {
  const file = path.join(d.dir, 'bad', `${name}.tgz`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return cli(d, ['deploy', file]);
};
/** A valid release archive (the sample API) for the cases whose fault is in the query, not the body. */
let goodArchive = Buffer.alloc(0);
const deployWith = (d: TestDaemon, query: string, headers: Record<string, string> = {}) => call(d, 'POST', `/api/deploy?${query}`, { body: goodArchive, headers });
const proxyGet = async (d: TestDaemon, url: string, headers: Record<string, string> = {}): Promise<Answer> => {
  const answer = await request(`${d.proxyUrl}${url}`, { headers });
  return { got: answer.status, message: messageOf(answer.body) };
};
const raw = async (d: TestDaemon, payload: string, waitMs = 10_000): Promise<Answer> => {
  const answer = await rawExchange(Number(new URL(d.proxyUrl).port), payload, waitMs);
  return { got: answer.split('\r\n')[0]!, message: answer };
};
/** An upload without a declared length: the limit can only be enforced while the body streams in. */
function chunkedUpload(d: TestDaemon, url: string, bytes: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${d.adminUrl}${url}`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'transfer-encoding': 'chunked' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ got: res.statusCode ?? 0, message: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    for (let sent = 0; sent < bytes; sent += 10_000) req.write(Buffer.alloc(10_000, 7));
    req.end();
  });
}

const BAD_TOKEN = 'not-the-token-8c1f2e';
const HEX = 'ab'.repeat(32);

// prettier-ignore
const cases: Case[] = [
  // Archives that would write outside the release, or are not archives at all: exit 2, the message names the entry.
  { name: 'a tarball with a ../ entry', expected: 2, names: '../escape.txt', run: (d) => deployTar(d, 'dotdot', withManifest([{ name: '../escape.txt', content: 'x' }])) },
  { name: 'a tarball with a nested ../ entry', expected: 2, names: 'app/../../escape.txt', run: (d) => deployTar(d, 'nested-dotdot', withManifest([{ name: 'app/../../escape.txt', content: 'x' }])) },
  { name: 'a tarball with a ..\\ entry', expected: 2, names: 'escape-backslash.txt', run: (d) => deployTar(d, 'backslash', withManifest([{ name: '..\\escape-backslash.txt', content: 'x' }])) },
  { name: 'a tarball with a ../ folder', expected: 2, names: '../outside', run: (d) => deployTar(d, 'dotdot-dir', withManifest([{ name: '../outside/', type: 'directory' }])) },
  { name: 'a tarball with an absolute path', expected: 2, names: '/tmp/slotswap-escape.txt', run: (d) => deployTar(d, 'absolute', [{ name: '/tmp/slotswap-escape.txt', content: 'x' }]) },
  { name: 'a tarball with a drive-letter path', expected: 2, names: 'C:/slotswap-escape.txt', run: (d) => deployTar(d, 'drive', withManifest([{ name: 'C:/slotswap-escape.txt', content: 'x' }])) },
  { name: 'a tarball with a symlink pointing outside', expected: 2, names: '../../../../etc', run: (d) => deployTar(d, 'symlink', [{ name: 'etc', type: 'symlink', linkname: '../../../../etc' }]) },
  { name: 'a tarball with a symlink to an absolute path', expected: 2, names: '/etc/passwd', run: (d) => deployTar(d, 'symlink-abs', withManifest([{ name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }])) },
  { name: 'a tarball with a hard link pointing outside', expected: 2, names: 'passwd', run: (d) => deployTar(d, 'hardlink', [{ name: 'passwd', type: 'link', linkname: '../../../../etc/passwd' }]) },
  { name: 'a tarball with a hard link to an absolute path', expected: 2, names: '/etc/passwd', run: (d) => deployTar(d, 'hardlink-abs', withManifest([{ name: 'shadow', type: 'link', linkname: '/etc/passwd' }])) },
  { name: 'a tarball with a character device', expected: 2, names: '"null"', run: (d) => deployTar(d, 'device', [{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }]) },
  { name: 'a tarball with a block device', expected: 2, names: '"disk"', run: (d) => deployTar(d, 'block', withManifest([{ name: 'disk', type: 'block-device', devmajor: 8, devminor: 0 }])) },
  { name: 'a tarball with a FIFO', expected: 2, names: '"pipe"', run: (d) => deployTar(d, 'fifo', withManifest([{ name: 'pipe', type: 'fifo' }])) },
  { name: 'a 0-byte upload', expected: 2, names: '0 bytes', run: (d) => deployBytes(d, 'empty', '') },
  { name: 'a truncated upload', expected: 2, names: /release archive|cut off|premature|unexpected end/i, run: async (d) => { const whole = await readFile(await writeTarball(path.join(d.dir, 'bad/whole.tgz'), withManifest([{ name: 'big.txt', content: 'y'.repeat(50_000) }]))); return deployBytes(d, 'truncated', whole.subarray(0, whole.length >> 1)); } },
  { name: 'a non-gzip upload', expected: 2, names: 'not a valid gzip file', run: (d) => deployBytes(d, 'plain', 'just some text, not a tarball') },
  { name: 'a gzip header followed by garbage', expected: 2, names: 'not a valid gzip file', run: (d) => deployBytes(d, 'gzip-garbage', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(500, 0xee)])) },
  { name: 'valid gzip of bytes that are not a tar', expected: 2, names: /release archive|release\.json/, run: (d) => deployBytes(d, 'gzip-not-tar', gzipSync(Buffer.alloc(2_000, 0x41))) },
  { name: 'valid gzip of nothing', expected: 2, names: 'no release.json', run: (d) => deployBytes(d, 'gzip-empty', gzipSync(Buffer.alloc(0))) },
  // Archives whose release.json is wrong: exit 2, the message names the key or the value.
  { name: 'a release without release.json', expected: 2, names: 'no release.json', run: (d) => deployTar(d, 'no-manifest', [{ name: 'server.mjs', content: '' }]) },
  { name: 'a release.json that is not JSON', expected: 2, names: 'release.json is not valid JSON', run: (d) => deployTar(d, 'bad-json', manifestOnly('{ name: evil')) },
  { name: 'a release.json that is a list', expected: 2, names: 'expected a JSON object', run: (d) => deployTar(d, 'list-json', manifestOnly([1, 2])) },
  { name: 'a release.json whose start is not a list', expected: 2, names: '"start"', run: (d) => deployTar(d, 'bad-start', manifestOnly({ name: 'x', version: '9.0.0', start: 'node server.mjs' })) },
  { name: 'a release.json whose start is empty', expected: 2, names: '"start"', run: (d) => deployTar(d, 'empty-start', manifestOnly({ name: 'x', version: '9.0.0', start: [] })) },
  { name: 'a release.json with an unknown key', expected: 2, names: '"colour"', run: (d) => deployTar(d, 'unknown-key', manifestOnly({ name: 'x', version: '9.0.0', start: ['node', 'server.mjs'], colour: 'red' })) },
  { name: 'a release.json whose health is not a path', expected: 2, names: 'healthz', run: (d) => deployTar(d, 'bad-health', manifestOnly({ name: 'x', version: '9.0.0', start: ['node', 'server.mjs'], health: 'healthz' })) },
  { name: 'a release.json whose version is not semver', expected: 2, names: 'banana', run: (d) => deployTar(d, 'bad-version', manifestOnly({ name: 'x', version: 'banana', start: ['node', 'server.mjs'] })) },
  { name: 'a start command that does not exist', expected: 1, names: '/nonexistent/server', run: async (d) => cli(d, ['deploy', await makeRelease(d.dir, 'no-cmd', { version: '9.0.0', start: ['/nonexistent/server'] })]) },
  // Versions on the command line: exit 2, the message names the version.
  ...['v1.2.0', '1.2', '01.2.0', '1.2.0.0', '1.2.0-', 'latest'].map((version): Case => ({ name: `the version ${JSON.stringify(version)}`, expected: 2, names: `"${version}"`, run: (d) => cli(d, ['deploy', `${d.dir}/sites/sample-api`, '--version', version]) })),
  { name: 'a version not above the live one', expected: 2, names: 'version 1.0.0 is not greater than the live version 1.1.0', run: (d) => cli(d, ['deploy', `${d.dir}/sites/sample-api`, '--version', '1.0.0']) },
  { name: 'a min-compatible version that is not semver', expected: 2, names: '"soon"', run: (d) => cli(d, ['deploy', `${d.dir}/sites/sample-api`, '--version', '2.0.0', '--min-compatible', 'soon']) },
  { name: 'a min-compatible version above the version', expected: 2, names: 'minCompatibleVersion 3.0.0 is above version 2.0.0', run: (d) => cli(d, ['deploy', `${d.dir}/sites/sample-api`, '--version', '2.0.0', '--min-compatible', '3.0.0']) },
  { name: 'a version in the deploy query that is not semver', expected: 422, names: '"2.0"', run: (d) => deployWith(d, 'version=2.0') },
  // Deploy options and bodies over HTTP: the status, and the message names the option or the size.
  { name: 'allowDowngrade that is not true or false', expected: 400, names: 'allowDowngrade must be true or false, got "maybe"', run: (d) => call(d, 'POST', '/api/deploy?allowDowngrade=maybe', { body: 'x' }) },
  { name: 'inPlace that is not true or false', expected: 400, names: 'inPlace must be true or false, got "2"', run: (d) => call(d, 'POST', '/api/deploy?inPlace=2', { body: 'x' }) },
  { name: 'waitDrain in a header that is not true or false', expected: 400, names: 'waitDrain must be true or false, got "soon"', run: (d) => call(d, 'POST', '/api/deploy', { body: 'x', headers: { 'x-slotswap-waitdrain': 'soon' } }) },
  { name: 'a wrong sha256 for a deploy', expected: 422, names: `expected ${'a'.repeat(64)}`, run: (d) => deployWith(d, `sha256=${'a'.repeat(64)}`) },
  { name: 'a wrong sha256 in a header', expected: 422, names: `expected ${HEX}`, run: (d) => deployWith(d, '', { 'x-slotswap-sha256': HEX }) },
  { name: 'a wrong sha256 in capitals', expected: 422, names: `expected ${HEX}`, run: (d) => deployWith(d, `sha256=${HEX.toUpperCase()}`) },
  { name: 'a sha256 that is not hex', expected: 422, names: '"xyz"', run: (d) => call(d, 'POST', '/api/deploy?sha256=xyz', { body: 'x' }) },
  { name: 'a sha256 one digit short', expected: 422, names: `"${HEX.slice(1)}"`, run: (d) => call(d, 'POST', `/api/deploy?sha256=${HEX.slice(1)}`, { body: 'x' }) },
  { name: 'a sha256 one digit long', expected: 422, names: `"${HEX}0"`, run: (d) => call(d, 'POST', `/api/deploy?sha256=${HEX}0`, { body: 'x' }) },
  { name: 'a sha256 of 64 non-hex letters', expected: 422, names: `"${'g'.repeat(64)}"`, run: (d) => call(d, 'POST', `/api/deploy?sha256=${'g'.repeat(64)}`, { body: 'x' }) },
  { name: 'a sha256 with a prefix', expected: 422, names: `"sha256:${HEX}"`, run: (d) => call(d, 'POST', `/api/deploy?sha256=sha256:${HEX}`, { body: 'x' }) },
  { name: 'an empty deploy body', expected: 422, names: '0 bytes', run: (d) => call(d, 'POST', '/api/deploy', { body: '' }) },
  { name: 'a JSON body sent to deploy', expected: 422, names: 'not a valid gzip file', run: (d) => sendJson(d, 'POST', '/api/deploy', '{"release": "sites/sample-api"}') },
  { name: 'an oversized deploy body', expected: 413, names: `${MAX_BYTES + 1} bytes, over uploads.maxBytes (${MAX_BYTES})`, run: (d) => call(d, 'POST', '/api/deploy', { body: Buffer.alloc(MAX_BYTES + 1, 1) }) },
  { name: 'an oversized chunked deploy body', expected: 413, names: `uploads.maxBytes (${MAX_BYTES} bytes)`, run: (d) => chunkedUpload(d, '/api/deploy', MAX_BYTES + 20_000) },
  // JSON routes: notice and drain. 400 (or 404/413), the message names the key or the value.
  { name: 'a notice in a charset other than utf-8', expected: 415, names: 'application/json in utf-8', run: (d) => call(d, 'PUT', '/api/notice', { body: '{"message":"x"}', headers: { 'content-type': 'application/json; charset=latin1' } }) },
  { name: 'invalid JSON for the notice', expected: 400, names: 'not valid', run: (d) => sendJson(d, 'PUT', '/api/notice', '{"message": ') },
  { name: 'a notice without a message', expected: 400, names: '"message"', run: (d) => sendJson(d, 'PUT', '/api/notice', '{"mandatory": true}') },
  { name: 'a notice whose message is a number', expected: 400, names: /"message".*42/, run: (d) => sendJson(d, 'PUT', '/api/notice', '{"message": 42}') },
  { name: 'a notice with an ANSI escape', expected: 400, names: 'control character U+001B at position 4', run: (d) => sendJson(d, 'PUT', '/api/notice', JSON.stringify({ message: 'new \u001b[31mred' })) },
  { name: 'a maintenance message with a NUL', expected: 400, names: 'control character U+0000 at position 4', run: (d) => sendJson(d, 'PUT', '/api/maintenance', JSON.stringify({ message: 'back\u0000soon' })) },
  { name: 'a notice whose message is blank', expected: 400, names: '"message"', run: (d) => sendJson(d, 'PUT', '/api/notice', '{"message": "   "}') },
  { name: 'a notice message over 2,000 characters', expected: 400, names: 'at most 2000 characters', run: (d) => sendJson(d, 'PUT', '/api/notice', JSON.stringify({ message: 'm'.repeat(2_001) })) },
  { name: 'a notice whose mandatory is a string', expected: 400, names: /"mandatory".*yes/, run: (d) => sendJson(d, 'PUT', '/api/notice', '{"message": "x", "mandatory": "yes"}') },
  { name: 'a notice with an unknown key', expected: 400, names: '"colour"', run: (d) => sendJson(d, 'PUT', '/api/notice', '{"message": "x", "colour": "red"}') },
  { name: 'a notice that is a list', expected: 400, names: 'expected a JSON object', run: (d) => sendJson(d, 'PUT', '/api/notice', '["x"]') },
  { name: 'a notice that is JSON null', expected: 400, names: /expected a JSON object.*null/, run: (d) => sendJson(d, 'PUT', '/api/notice', 'null') },
  { name: 'a notice sent as text/plain', expected: 400, names: 'expected a JSON object', run: (d) => sendJson(d, 'PUT', '/api/notice', '{"message": "x"}', 'text/plain') },
  { name: 'a notice body over 64 kB', expected: 413, names: /too large/i, run: (d) => sendJson(d, 'PUT', '/api/notice', JSON.stringify({ message: 'm'.repeat(70_000) })) },
  { name: 'invalid JSON for a drain', expected: 400, names: 'not valid', run: (d) => sendJson(d, 'POST', '/api/drain', '{"slot": "a"') },
  { name: 'a drain body that is not an object', expected: 400, names: 'expected a JSON object', run: (d) => sendJson(d, 'POST', '/api/drain', '[1,2]') },
  { name: 'a drain with an unknown key', expected: 400, names: '"force"', run: (d) => sendJson(d, 'POST', '/api/drain', '{"force": true}') },
  { name: 'a drain whose slot is a number', expected: 400, names: /"slot".*5/, run: (d) => sendJson(d, 'POST', '/api/drain', '{"slot": 5}') },
  { name: 'a drain whose now is a string', expected: 400, names: /"now".*"yes"/, run: (d) => sendJson(d, 'POST', '/api/drain', '{"now": "yes"}') },
  { name: 'an unknown slot to drain', expected: 404, names: 'unknown slot "c"', run: (d) => sendJson(d, 'POST', '/api/drain', '{"slot": "c", "now": true}') },
  // Logs and history parameters.
  ...['zz', 'A', '..%2F..%2Fetc'].map((slot): Case => ({ name: `the slot ${JSON.stringify(slot)} for logs`, expected: 404, names: `unknown slot "${decodeURIComponent(slot)}"`, run: (d) => call(d, 'GET', `/api/logs/${slot}`) })),
  { name: 'a logs line count that is negative', expected: 400, names: 'lines must be a whole number from 0 to 10000, got "-1"', run: (d) => call(d, 'GET', '/api/logs/a?lines=-1') },
  ...['lots', '0', '-1', '1.5', '10001', '1e3'].map((limit): Case => ({ name: `the history limit ${JSON.stringify(limit)}`, expected: 400, names: `got "${limit}"`, run: (d) => call(d, 'GET', `/api/history?limit=${limit}`) })),
  // Routes and methods that do not exist.
  { name: 'an unknown admin route', expected: 404, names: 'no admin route POST /api/nuke', run: (d) => call(d, 'POST', '/api/nuke') },
  { name: 'GET on the flip route', expected: 404, names: 'no admin route GET /api/flip', run: (d) => call(d, 'GET', '/api/flip') },
  { name: 'DELETE on the deploy route', expected: 404, names: 'no admin route DELETE /api/deploy', run: (d) => call(d, 'DELETE', '/api/deploy') },
  { name: 'PATCH on the notice route', expected: 404, names: 'no admin route PATCH /api/notice', run: (d) => call(d, 'PATCH', '/api/notice', { body: '{}', headers: { 'content-type': 'application/json' } }) },
  // Tokens: 401 that says what to send and never repeats what was sent.
  { name: 'a wrong admin token', expected: 401, names: 'Authorization: Bearer <token>', secret: BAD_TOKEN, run: (d) => call(d, 'GET', '/api/status', { auth: `Bearer ${BAD_TOKEN}` }) },
  { name: 'no admin token', expected: 401, names: 'Authorization: Bearer <token>', run: (d) => call(d, 'POST', '/api/flip', { auth: null }) },
  { name: 'an empty bearer token', expected: 401, names: 'Authorization: Bearer <token>', run: (d) => call(d, 'POST', '/api/rollback', { auth: 'Bearer ' }) },
  { name: 'the token with another scheme', expected: 401, names: 'Authorization: Bearer <token>', run: (d) => call(d, 'POST', '/api/hold', { auth: `Basic ${d.token}` }) },
  { name: 'the token with a character more', expected: 401, names: 'Authorization: Bearer <token>', run: (d) => call(d, 'POST', '/api/resume', { auth: `Bearer ${d.token}x` }) },
  { name: 'the token cut short', expected: 401, names: 'Authorization: Bearer <token>', run: (d) => call(d, 'DELETE', '/api/notice', { auth: `Bearer ${d.token.slice(0, -1)}` }) },
  { name: 'the token in the query instead of the header', expected: 401, names: 'Authorization: Bearer <token>', run: (d) => call(d, 'GET', `/api/history?token=${d.token}`, { auth: null }) },
  { name: 'a 10 kB token', expected: 401, names: 'Authorization: Bearer <token>', secret: 'k'.repeat(10_000), run: (d) => call(d, 'GET', '/metrics', { auth: `Bearer ${'k'.repeat(10_000)}` }) },
  { name: 'a wrong token on the CLI', expected: 3, names: /admin token/, secret: BAD_TOKEN, run: (d) => cli(d, ['status', '--token', BAD_TOKEN]) },
  // The CLI's own arguments: exit 2 naming the argument.
  { name: 'an unknown slot name on the CLI', expected: 2, names: /"c"|: c\b/, run: (d) => cli(d, ['drain', '--slot', 'c']) },
  { name: 'an unknown CLI flag', expected: 2, names: 'frobnicate', run: (d) => cli(d, ['deploy', `${d.dir}/sites/sample-api`, '--frobnicate']) },
  { name: 'an unknown CLI command', expected: 2, names: 'explode', run: (d) => cli(d, ['explode']) },
  { name: 'a release path that does not exist', expected: 2, names: 'nowhere', run: (d) => cli(d, ['deploy', path.join(d.dir, 'nowhere')]) },
  // The public proxy.
  { name: 'an unknown slot name in the URL', expected: 404, names: '"c"', run: (d) => proxyGet(d, '/_slots/c/') },
  ...['banana', '1.0', '1.0.0.0'].map((version): Case => ({ name: `the client version ${JSON.stringify(version)}`, expected: 400, names: `client version "${version}"`, run: (d) => proxyGet(d, '/', { 'x-client-version': version }) })),
  { name: 'CR inside X-Client-Version', expected: /^HTTP\/1\.1 400/, names: /^HTTP\/1\.1 400/, run: (d) => raw(d, 'GET / HTTP/1.1\r\nHost: x\r\nX-Client-Version: 1.0.0\rInjected: yes\r\n\r\n') },
  { name: 'a megabyte-long X-Client-Version', expected: /^HTTP\/1\.1 431/, names: /^HTTP\/1\.1 431/, run: (d) => raw(d, `GET / HTTP/1.1\r\nHost: x\r\nX-Client-Version: ${'1'.repeat(1_000_000)}\r\n\r\n`) },
  { name: 'oversized headers', expected: /^HTTP\/1\.1 431/, names: /^HTTP\/1\.1 431/, run: (d) => raw(d, `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(100)}`).join('\r\n')}\r\n\r\n`) },
  { name: 'a request line that is not HTTP', expected: /^HTTP\/1\.1 400/, names: /^HTTP\/1\.1 400/, run: (d) => raw(d, 'HELLO THERE\r\n\r\n') },
  { name: 'an unknown method', expected: /^HTTP\/1\.1 400/, names: /^HTTP\/1\.1 400/, run: (d) => raw(d, 'BREW / HTTP/1.1\r\nHost: x\r\n\r\n') },
  { name: 'a header name with a space', expected: /^HTTP\/1\.1 400/, names: /^HTTP\/1\.1 400/, run: (d) => raw(d, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n') },
  { name: 'both Content-Length and chunked', expected: /^HTTP\/1\.1 400/, names: /^HTTP\/1\.1 400/, run: (d) => raw(d, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n') },
  { name: 'a negative Content-Length', expected: /^HTTP\/1\.1 400/, names: /^HTTP\/1\.1 400/, run: (d) => raw(d, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n') },
  { name: 'a slow client that never finishes its headers', expected: /^HTTP\/1\.1 408|closed without an answer/, names: /HTTP\/1\.1 408|closed without an answer/, run: (d) => raw(d, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', 8_000) },
];

async function readState(d: TestDaemon): Promise<StateData> {
  return JSON.parse(await readFile(path.join(d.dir, 'state/slotswap.json'), 'utf8')) as StateData;
}

/** After each case: the live slot serves, the state file is valid and agrees with status, and no earlier record is lost. */
async function expectIntact(d: TestDaemon, name: string, before: StateData): Promise<void> {
  const live = await request(`${d.proxyUrl}/`);
  expect(live.status, `${name}: live slot`).toBe(200);
  expect(JSON.parse(live.body).version, `${name}: live version`).toBe('1.1.0');
  const state = await readState(d);
  expect(stateProblems(state), `${name}: state file`).toEqual([]);
  const status = await d.status();
  expect([state.live, status.live], `${name}: live slot in state and status`).toEqual([before.live, before.live]);
  for (const slot of ['a', 'b'] as const) expect(state.slots[slot].release?.version ?? null, `${name}: slot ${slot} version`).toBe(status.slots[slot].version);
  expect(state.manifest?.version, `${name}: manifest`).toBe('1.1.0');
  expect(state.notice, `${name}: notice`).toEqual(before.notice);
  const kept = (s: StateData) => s.history.map((h) => `${h.id} ${h.op} ${h.outcome} ${h.toVersion}`);
  expect(kept(state), `${name}: earlier history`).toEqual(expect.arrayContaining(kept(before)));
}

describe('bad input', () => {
  it(`refuses each of ${cases.length} bad inputs with the expected status and a message naming it, and loses nothing`, { timeout: 300_000 }, async () => {
    const daemon = await startDaemon({ uploads: { maxBytes: MAX_BYTES }, proxy: { keepAliveTimeoutMs: 1_000, headersTimeoutMs: 1_500 } });
    const entries = await Promise.all((await readdir(SAMPLE_API)).map(async (name) => ({ name, content: await readFile(path.join(SAMPLE_API, name), 'utf8') })));
    goodArchive = await readFile(await writeTarball(path.join(daemon.dir, 'good.tgz'), entries));
    // Real operations first: what the bad inputs must not lose.
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0', '--wait-drain'])).code).toBe(0);
    expect((await daemon.cli(['notice', 'set', 'Please update'])).code).toBe(0);
    const before = await readState(daemon);
    expect(before.history.map((h) => `${h.op} ${h.outcome} ${h.toVersion}`)).toEqual(['deploy ok 1.0.0', 'deploy ok 1.1.0']);
    const results: string[] = [];
    for (const c of cases) {
      const { got, message } = await c.run(daemon);
      if (c.expected instanceof RegExp) expect(String(got), `${c.name}: ${message.slice(0, 300)}`).toMatch(c.expected);
      else expect(got, `${c.name}: ${message.slice(0, 300)}`).toBe(c.expected);
      if (typeof c.names === 'string') expect(message, `${c.name}: message`).toContain(c.names);
      else expect(message, `${c.name}: message`).toMatch(c.names);
      if (c.secret) expect(message, `${c.name}: secret echoed`).not.toContain(c.secret);
      expect(message, `${c.name}: admin token echoed`).not.toContain(daemon.token);
      await expectIntact(daemon, c.name, before);
      results.push(`${c.name}: ${String(got)}`);
    }
    // Nothing half-extracted or half-uploaded is left behind, and nothing was written outside.
    expect((await readdir(path.join(daemon.dir, 'sites'))).filter((f) => f.includes('incoming'))).toEqual([]);
    expect(await readdir(path.join(daemon.dir, 'state/uploads')).catch(() => [])).toEqual([]);
    for (const escaped of ['/tmp/slotswap-escape.txt', path.join(daemon.dir, 'escape.txt'), path.join(daemon.dir, 'sites/escape.txt'), path.join(daemon.dir, 'sites/outside')]) {
      await expect(readFile(escaped), escaped).rejects.toThrow();
    }
    console.log(`bad-input suite: ${cases.length} bad inputs tried, all refused with the expected status or exit code\n  ${results.join('\n  ')}`);
  });
});

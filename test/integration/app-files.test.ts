// Client files per version (issue 18): served by the proxy at /_app/<version>/, flipped with the API in AppRun.json.
import { describe, expect, it } from 'vitest';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { makeProject, makeRelease, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { settled } from '../helpers/settled.js';
import { failures, startLoad } from '../helpers/load.js';
import { eventually } from '../helpers/eventually.js';

const SAMPLE_CLIENT = path.resolve(import.meta.dirname, '../../sites/sample-client/client.mjs');
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

const json = async (url: string) => {
  const answer = await get(url);
  return { status: answer.status, headers: answer.headers, json: JSON.parse(answer.body.toString('utf8') || 'null') as Record<string, unknown> };
};

/** A release of the sample API at `version` carrying `client` as its client/ folder. */
async function clientRelease(daemon: TestDaemon | { dir: string }, version: string, client: Record<string, string | Buffer>): Promise<string> {
  const dir = await makeRelease(daemon.dir, `r-${version}`, { version });
  for (const [file, content] of Object.entries(client)) {
    const full = path.join(dir, 'client', file);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, content);
  }
  return dir;
}

async function deploy(daemon: TestDaemon, dir: string, ...extra: string[]): Promise<string> {
  const result = await daemon.cli(['deploy', dir, ...extra], 120_000);
  expect(result.code, `deploy ${dir}: ${result.stderr}${result.stdout}`).toBe(0);
  return result.stdout + result.stderr;
}

function runSampleClient(manifestUrl: string, dir: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SAMPLE_CLIENT, '--manifest', manifestUrl, '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`sample client exited ${code}: ${err}${out}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

/** A daemon whose public URL is 127.0.0.1 (not localhost): the manifest's URLs, which the sample client follows, stay on loopback IPv4. */
async function startClientDaemon(overrides: Record<string, unknown> = {}): Promise<TestDaemon> {
  const project = await makeProject(overrides);
  const port = (project.config.proxy as { port: number }).port;
  project.config.proxy = { ...(project.config.proxy as object), publicUrl: `http://127.0.0.1:${port}` };
  await writeFile(project.configFile, JSON.stringify(project.config, null, 2));
  return startDaemonIn(project);
}

const V1 = { 'a.txt': 'alpha\n', 'b.txt': 'bravo\n', 'c.txt': 'charlie\n', 'lib/d.bin': randomBytes(3000), 'e.txt': 'echo '.repeat(1000) };
const V2 = { 'a.txt': V1['a.txt'], 'b.txt': 'bravo, changed\n', 'lib/d.bin': V1['lib/d.bin'], 'e.txt': V1['e.txt'], 'f.txt': 'foxtrot, added\n' };
const listOf = (files: Record<string, string | Buffer>) =>
  Object.entries(files)
    .map(([p, c]) => ({ path: p, size: Buffer.byteLength(c), sha256: sha(c) }))
    .sort((x, y) => (x.path < y.path ? -1 : 1));

describe('client files', () => {
  it('lists each version, answers ?since= with exactly the changed, added and removed files, and the sample client downloads only those', async () => {
    const daemon = await startClientDaemon();
    const out1 = await deploy(daemon, await clientRelease(daemon, '1.1.0', V1));
    expect(out1).toContain('client files: 5 files, 0.0 MB, all new (1.0.0 had none)');
    const first = await json(`${daemon.proxyUrl}/_app/1.1.0/files.json`);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ version: '1.1.0', files: listOf(V1) });

    const clientDir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-client-'));
    const install = await runSampleClient(`${daemon.proxyUrl}/AppRun.json`, clientDir);
    expect(install).toMatchObject({ from: null, to: '1.1.0', decision: 'install', verified: 5, api: { status: 200, version: '1.1.0' } });
    expect(install.downloaded).toHaveLength(5);

    await settled(daemon);
    const out2 = await deploy(daemon, await clientRelease(daemon, '1.2.0', V2));
    expect(out2).toContain('client files: 5 files, 0.0 MB, 2 changed since 1.1.0, 1 removed');
    expect((await json(`${daemon.proxyUrl}/_app/1.2.0/files.json`)).json).toEqual({ version: '1.2.0', files: listOf(V2) });
    const since = await json(`${daemon.proxyUrl}/_app/1.2.0/files.json?since=1.1.0`);
    expect(since.json).toEqual({ version: '1.2.0', since: '1.1.0', changed: listOf({ 'b.txt': V2['b.txt'], 'f.txt': V2['f.txt'] }), removed: ['c.txt'] });
    expect((await json(`${daemon.proxyUrl}/_app/1.2.0/files.json?since=0.9.0`)).status).toBe(404);

    const manifest = (await json(`${daemon.proxyUrl}/AppRun.json`)).json as { deployment_urls: Record<string, string>; appFiles: string; version: string };
    expect(manifest.deployment_urls.app).toBe(`${daemon.proxyUrl}/_app/1.2.0/`);
    expect(manifest.appFiles).toBe(`${daemon.proxyUrl}/_app/1.2.0/files.json`);

    const upgrade = await runSampleClient(`${daemon.proxyUrl}/AppRun.json`, clientDir);
    expect(upgrade).toMatchObject({ from: '1.1.0', to: '1.2.0', decision: 'may-upgrade', downloaded: ['b.txt', 'f.txt'], removed: ['c.txt'], verified: 5, api: { status: 200, version: '1.2.0' } });
    for (const [file, content] of Object.entries(V2)) expect(sha(await readFile(path.join(clientDir, 'versions/1.2.0', file))), file).toBe(sha(content));

    const status = await daemon.status();
    const live = status.slots[status.live!] as unknown as { clientFiles: unknown };
    expect(live.clientFiles).toEqual({ version: '1.2.0', files: 5, bytes: listOf(V2).reduce((s, f) => s + f.size, 0) });
    const text = await daemon.cli(['status']);
    expect(text.stdout).toMatch(/client files [ab]: 5 files, 0\.0 MB, version 1\.2\.0/);
  }, 120_000);

  it('answers 304, 206 and immutable caching, compresses to the same sha256, and keeps every path inside the version', async () => {
    const daemon = await startClientDaemon();
    const dir = await clientRelease(daemon, '1.1.0', V1);
    // A link in the client folder to a file of the release outside it: it is left out, never followed.
    await symlink('../release.json', path.join(dir, 'client/link.json'));
    const out = await deploy(daemon, dir);
    expect(out).toContain('1 link(s) or special file(s) left out');
    const url = `${daemon.proxyUrl}/_app/1.1.0/e.txt`;
    const whole = await get(url);
    expect(whole.status).toBe(200);
    expect(whole.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(whole.headers.etag).toBe(`"${sha(V1['e.txt'])}"`);
    expect(whole.headers['content-length']).toBe(String(V1['e.txt'].length));
    expect(whole.body.toString()).toBe(V1['e.txt']);
    expect((await get(url, { 'if-none-match': whole.headers.etag! })).status).toBe(304);
    const part = await get(url, { range: 'bytes=5-9' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 5-9/${V1['e.txt'].length}`);
    expect(part.body.toString()).toBe(V1['e.txt'].slice(5, 10));
    expect((await get(url, { range: 'bytes=99999-' })).status).toBe(416);
    const br = await get(url, { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThan(V1['e.txt'].length);
    expect(sha(brotliDecompressSync(br.body))).toBe(sha(V1['e.txt']));
    const gz = await get(url, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(sha(gunzipSync(gz.body))).toBe(sha(V1['e.txt']));
    const bin = await get(`${daemon.proxyUrl}/_app/1.1.0/lib/d.bin`, { 'accept-encoding': 'gzip, br' });
    expect(sha(bin.headers['content-encoding'] === 'br' ? brotliDecompressSync(bin.body) : bin.body)).toBe(sha(V1['lib/d.bin']));

    for (const target of ['/_app/1.1.0/../release.json', '/_app/1.1.0/%2e%2e/release.json', '/_app/1.1.0/%2e%2e%2frelease.json', '/_app/1.1.0/..%5crelease.json', '/_app/1.1.0/link.json', '/_app/1.1.0/files/a.txt', '/_app/..%2fslotswap.json/x', '/_app/1.0.0/files.json']) {
      const answer = await get(`${daemon.proxyUrl}${target}`);
      expect(answer.status, target).toBe(404);
      expect(answer.body.toString(), target).not.toContain('sample-api');
    }
    expect((await json(`${daemon.proxyUrl}/_app/1.1.0/files.json`)).json.files).toEqual(listOf(V1));
  }, 60_000);

  it('a release without a client folder behaves as before: no app fields in the manifest', async () => {
    const daemon = await startClientDaemon();
    const manifest = (await json(`${daemon.proxyUrl}/AppRun.json`)).json;
    expect(manifest.appFiles).toBeUndefined();
    expect(manifest.deployment_urls).toEqual({ web_api: manifest.webApiUrl });
  }, 60_000);
});

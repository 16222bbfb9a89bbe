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
    expect(out1).toMatch(/client files: 5 files, \d+(\.\d)? (KB|bytes), all new \(1\.0\.0 had none\)/);
    const first = await json(`${daemon.proxyUrl}/_app/1.1.0/files.json`);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ version: '1.1.0', files: listOf(V1) });

    const clientDir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-client-'));
    const install = await runSampleClient(`${daemon.proxyUrl}/AppRun.json`, clientDir);
    expect(install).toMatchObject({ from: null, to: '1.1.0', decision: 'install', verified: 5, api: { status: 200, version: '1.1.0' } });
    expect(install.downloaded).toHaveLength(5);

    await settled(daemon);
    const out2 = await deploy(daemon, await clientRelease(daemon, '1.2.0', V2));
    expect(out2).toMatch(/client files: 5 files, \d+(\.\d)? (KB|bytes), 2 changed since 1\.1\.0, 1 removed/);
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
    expect(text.stdout).toMatch(/client files [ab]: 5 files, \d+(\.\d)? (KB|bytes), version 1\.2\.0/);
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

  it('a release without a client folder behaves as before: no app fields in the manifest, and the sample client says there is nothing to download', async () => {
    const daemon = await startClientDaemon();
    const manifest = (await json(`${daemon.proxyUrl}/AppRun.json`)).json;
    expect(manifest.appFiles).toBeUndefined();
    expect(manifest.deployment_urls).toEqual({ web_api: manifest.webApiUrl });
    const summary = await runSampleClient(`${daemon.proxyUrl}/AppRun.json`, path.join(daemon.dir, 'client-data'));
    expect(summary).toMatchObject({ downloaded: [], verified: 0, api: { status: 200 } });
    expect(summary.note).toMatch(/the live release 1\.0\.0 has no client files .*client\/ folder/);
  }, 60_000);
});

/** Reads a file slowly: the first chunk, then nothing until `resume` resolves, then the rest. */
function slowDownload(url: string, resume: Promise<void>): { started: Promise<void>; done: Promise<Buffer> } {
  let markStarted!: () => void;
  const started = new Promise<void>((r) => (markStarted = r));
  const done = new Promise<Buffer>((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET ${url} answered ${res.statusCode}`));
      const chunks: Buffer[] = [];
      res.once('data', (first: Buffer) => {
        chunks.push(first);
        res.pause();
        markStarted();
        void resume.then(() => {
          res.on('data', (c: Buffer) => chunks.push(c));
          res.resume();
        });
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { started, done };
}

const vmRssKb = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

describe('client files across flips', () => {
  it("a client downloading 1.1.0's files across the flip to 1.2.0 (and the next deploy) gets 1.1.0's files whole, under API load with 0 failures", async () => {
    const daemon = await startClientDaemon();
    const big = randomBytes(4 * 1024 * 1024);
    await deploy(daemon, await clientRelease(daemon, '1.1.0', { ...V1, 'big.bin': big }));
    await settled(daemon);
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 20, stop: () => stop, maxMs: 90_000, kinds: ['get', 'post'] });
    let resume!: () => void;
    const resumed = new Promise<void>((r) => (resume = r));
    const bigDownload = slowDownload(`${daemon.proxyUrl}/_app/1.1.0/big.bin`, resumed);
    await bigDownload.started;
    try {
      await deploy(daemon, await clientRelease(daemon, '1.2.0', { ...V2, 'big.bin': randomBytes(4 * 1024 * 1024) }), '--wait-drain');
      // The next deploy lands in 1.1.0's old slot folder: the version's files do not live there.
      await deploy(daemon, await clientRelease(daemon, '1.3.0', V2), '--wait-drain');
      const rest = await Promise.all(Object.keys(V1).map((file) => get(`${daemon.proxyUrl}/_app/1.1.0/${file}`)));
      rest.forEach((answer, i) => expect(sha(answer.body), Object.keys(V1)[i]).toBe(sha(Object.values(V1)[i]!)));
    } finally {
      resume();
      stop = true;
    }
    expect(sha(await bigDownload.done)).toBe(sha(big));
    const outcomes = await load.done;
    expect(outcomes.length).toBeGreaterThan(20);
    expect(failures(outcomes)).toEqual([]);
  }, 180_000);

  it("AppRun.json's deployment_urls.app and webApiUrl always name the same version across 5 flips under load", async () => {
    const daemon = await startClientDaemon({ drain: { graceMs: 1_000 } });
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 10, stop: () => stop, maxMs: 150_000 });
    const mismatches: string[] = [];
    let reads = 0;
    const seen = new Set<string>();
    const watcher = (async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
      const once = (url: string, headers: Record<string, string> = {}) =>
        new Promise<Answer>((resolve, reject) => {
          http.get(url, { agent, headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          }).on('error', reject);
        });
      for (let i = 0; i < 100_000 && !stop; i++) {
        const manifest = JSON.parse((await once(`${daemon.proxyUrl}/AppRun.json`)).body.toString()) as { version: string; webApiUrl: string; appFiles?: string; deployment_urls: { app?: string } };
        reads++;
        if (!manifest.appFiles) continue;
        const appVersion = /\/_app\/([^/]+)\/$/.exec(manifest.deployment_urls.app ?? '')?.[1];
        const api = await once(manifest.webApiUrl, { 'x-client-version': manifest.version });
        const files = await once(manifest.appFiles);
        const listed = (JSON.parse(files.body.toString()) as { version?: string }).version;
        seen.add(`${appVersion}`);
        if (appVersion !== manifest.version || api.headers['x-app-version'] !== appVersion || listed !== appVersion) {
          mismatches.push(`manifest ${manifest.version}, app URL ${appVersion}, API ${String(api.headers['x-app-version'])}, files.json ${listed}`);
        }
      }
      agent.destroy();
    })();
    try {
      for (let minor = 1; minor <= 5; minor++) await deploy(daemon, await clientRelease(daemon, `1.${minor}.0`, { 'a.txt': `version ${minor}\n` }), '--wait-drain');
    } finally {
      stop = true;
    }
    await watcher;
    expect(mismatches).toEqual([]);
    expect(seen.size, 'the watcher saw versions of several flips').toBeGreaterThanOrEqual(3);
    expect(reads).toBeGreaterThan(50);
    expect(failures(await load.done)).toEqual([]);
    // clients.keepAppVersions (2): the versions of both slots and the last two live ones stay, older ones go.
    expect((await get(`${daemon.proxyUrl}/_app/1.3.0/files.json`)).status).toBe(200);
    expect((await get(`${daemon.proxyUrl}/_app/1.2.0/files.json`)).status).toBe(404);
    expect((await get(`${daemon.proxyUrl}/_app/1.1.0/a.txt`)).status).toBe(404);
  }, 240_000);

  it('serves a large client file to 10 clients at once streamed, growing the daemon RSS by far less than one file (200 MB)', async () => {
    const MB = 1024 * 1024;
    const size = Number(process.env.APP_FILES_BIG_MB ?? 200) * MB;
    const daemon = await startClientDaemon();
    const dir = await makeRelease(daemon.dir, 'r-big', { version: '1.1.0' });
    await mkdir(path.join(dir, 'client'), { recursive: true });
    // Zeros pack and upload fast; the proxy streams them like any bytes (identity: the clients ask for no compression).
    const handle = await open(path.join(dir, 'client/big.bin'), 'w');
    await handle.truncate(size);
    await handle.close();
    await deploy(daemon, dir);
    await settled(daemon);
    const pid = daemon.process.pid!;
    const before = await vmRssKb(pid);
    let peak = before;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await vmRssKb(pid));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const started = Date.now();
    const downloads = Array.from({ length: 10 }, () =>
      new Promise<{ bytes: number; hash: string }>((resolve, reject) => {
        http.get(`${daemon.proxyUrl}/_app/1.1.0/big.bin`, { agent: false }, (res) => {
          const hash = createHash('sha256');
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            hash.update(c);
          });
          res.on('end', () => resolve({ bytes, hash: hash.digest('hex') }));
          res.on('error', reject);
        }).on('error', reject);
      }),
    );
    const results = await Promise.all(downloads);
    sampling = false;
    await sampler;
    const expected = createHash('sha256').update(Buffer.alloc(size)).digest('hex');
    for (const r of results) expect(r).toEqual({ bytes: size, hash: expected });
    const growthMb = (peak - before) / 1024;
    console.log(`app-files: ${results.length} x ${size / MB} MB in ${Date.now() - started} ms; daemon RSS ${before} kB -> peak ${peak} kB (+${growthMb.toFixed(1)} MB)`);
    // Holding even one file in memory would add 200 MB; the RSS before moves with GC timing alone (2.7-23.6 MB growth seen).
    expect(growthMb).toBeLessThan(64);
  }, 240_000);
});

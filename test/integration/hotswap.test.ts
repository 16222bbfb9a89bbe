import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildExe, HOTSWAP_SERVER, startHotswapDaemon } from '../helpers/hotswap-project.js';
import { answeredAfter, failures, startLoad, whenAnswered } from '../helpers/load.js';
import { eventually } from '../helpers/eventually.js';
import { request } from '../helpers/http-client.js';
import { isAlive } from '../helpers/test-daemon.js';

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

describe('hotswap', () => {
  it('refuses a blue/green deploy on a hotswap-mode daemon with a pointer to slotswap hotswap', async () => {
    const daemon = await startHotswapDaemon();
    const result = await daemon.cli(['deploy', path.join(daemon.dir, 'deploy')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"mode": "hotswap"; update its executable with slotswap hotswap <file>/);
  });

  it('swaps in a new executable under 50 clients with every request answered 200, some of them queued', { timeout: 90_000 }, async () => {
    const daemon = await startHotswapDaemon();
    const exe = await buildExe(daemon.dir, 'v2', { version: '2.0.0', startupMs: 300 });
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 50, stop: () => stop, maxMs: 60_000, kinds: ['get', 'post', 'slow'] });
    await whenAnswered(load, 200);
    const result = await daemon.cli(['hotswap', exe]);
    const swappedAt = Date.now();
    await whenAnswered(load, 200, swappedAt);
    stop = true;
    const outcomes = await load.done;

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/File has been uploaded/);
    expect(result.stdout).toMatch(/Exe Updated/);
    const exeFile = path.join(daemon.dir, 'deploy/server');
    const info = await stat(exeFile);
    expect(result.stdout).toContain(`mtime:    ${info.mtime.toISOString()}`);
    expect(result.stdout).toContain(`size:     ${info.size} bytes`);
    expect(result.stdout).toContain(`sha256:   ${await sha256(exe)}`);
    expect(result.stdout).toMatch(/version:  2\.0\.0/);
    const held = /held:\s+(\d+) ms \(new server start-up (\d+) ms\), (\d+) request\(s\) queued/.exec(result.stdout);
    expect(held).not.toBeNull();
    expect(Number(held![3])).toBeGreaterThan(0);
    expect(Number(held![1])).toBeGreaterThanOrEqual(300);

    expect(failures(outcomes)).toEqual([]);
    expect(answeredAfter(outcomes, swappedAt)).toEqual(new Set(['2.0.0']));
    expect(new Set(outcomes.map((o) => o.version))).toEqual(new Set(['1.0.0', '2.0.0']));
    expect(await readFile(`${exeFile}.bak`, 'utf8')).toContain("const VERSION = '1.0.0';");
    const manifest = JSON.parse((await request(`${daemon.proxyUrl}/AppRun.json`)).body) as { version: string };
    expect(manifest.version).toBe('2.0.0');
  });

  const broken = [
    { name: 'exits at once', body: "console.error('cannot open database'); process.exit(4);" },
    { name: 'never answers /health', body: "setInterval(() => {}, 1000); console.error('stuck before listening');" },
  ];
  for (const b of broken) {
    it(`puts the old executable back when the new one ${b.name}, losing no request`, { timeout: 90_000 }, async () => {
      const daemon = await startHotswapDaemon({ health: { intervalMs: 50, timeoutMs: 1_500 } });
      const exe = await buildExe(daemon.dir, 'bad', { version: '9.9.9', body: b.body });
      let stop = false;
      const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 50, stop: () => stop, maxMs: 60_000 });
      await whenAnswered(load, 200);
      const result = await daemon.cli(['hotswap', exe]);
      await whenAnswered(load, 200, Date.now());
      stop = true;
      const outcomes = await load.done;

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/failed its health check/);
      expect(result.stderr).toMatch(/previous version 1\.0\.0 is back and serving/);
      const exeFile = path.join(daemon.dir, 'deploy/server');
      expect(result.stderr).toContain(`rejected file kept at ${exeFile}.rejected`);
      expect(await readFile(`${exeFile}.rejected`, 'utf8')).toContain(b.body);
      expect(await readFile(exeFile, 'utf8')).toContain("const VERSION = '1.0.0';");
      expect(failures(outcomes)).toEqual([]);
      expect(new Set(outcomes.map((o) => o.version))).toEqual(new Set(['1.0.0']));
      const status = await daemon.status();
      expect(status.slots.a.healthy).toBe(2);
      for (const i of status.slots.a.instances) expect(isAlive(i.pid!)).toBe(true);
    });
  }

  it('leaves a new instance that dies during the health wait to the hotswap: crash recovery does not restart it', { timeout: 90_000 }, async () => {
    const daemon = await startHotswapDaemon({ health: { intervalMs: 50, timeoutMs: 2_500 } });
    // Instance 1 dies at once; instance 2 keeps the health wait open until its timeout, long past the restart backoff.
    const body = "if (process.env.SLOTSWAP_INSTANCE === '1') { console.error('cannot open database'); process.exit(4); }\nsetInterval(() => {}, 1000);";
    const exe = await buildExe(daemon.dir, 'half-bad', { version: '9.9.9', body });
    const result = await daemon.cli(['hotswap', exe]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/previous version 1\.0\.0 is back and serving/);
    expect(daemon.output()).toMatch(/a-1 .*before it was healthy; the operation starting it reports it/);
    expect(daemon.output()).not.toMatch(/restart of a-1|a-1 restarted/);
    const status = await daemon.status();
    expect(status.slots.a.healthy).toBe(2);
    for (const i of status.slots.a.instances) expect(isAlive(i.pid!)).toBe(true);
    const history = (await daemon.cli(['history', '--json'])).stdout;
    expect(history).not.toContain('crash-loop');
    const manifest = JSON.parse((await request(`${daemon.proxyUrl}/AppRun.json`)).body) as { version: string };
    expect(manifest.version).toBe('1.0.0');
  });

  it('restarts an instance of the new executable that crashes while a restart of the old one still waits out its backoff', { timeout: 90_000 }, async () => {
    const daemon = await startHotswapDaemon({ health: { intervalMs: 20, timeoutMs: 3_000 } });
    const crashFile = path.join(daemon.dir, 'deploy/crash-a1');
    // Instance 1 of this build exits 300 ms after it starts, as long as the crash file is there.
    const crashIf = `import('node:fs').then((fs) => { if (process.env.SLOTSWAP_INSTANCE === '1' && fs.existsSync(${JSON.stringify(crashFile)})) setTimeout(() => process.exit(7), 300); });`;
    const source = (await readFile(HOTSWAP_SERVER, 'utf8')).replace("const VERSION = '1.0.0';", `const VERSION = '1.5.0';\n${crashIf}`);
    const crashing = await buildExe(daemon.dir, 'crashing', { version: '1.5.0', body: source.replace(/^#!.*\n/, '') });
    expect((await daemon.cli(['hotswap', crashing])).code).toBe(0);
    const v2 = await buildExe(daemon.dir, 'v2', { version: '2.0.0' });
    expect((await daemon.cli(['hotswap', 'upload', v2])).code).toBe(0);

    await writeFile(crashFile, '');
    const crashes = () => daemon.output().match(/instance a-1 exited with code 7 unexpectedly/g)?.length ?? 0;
    // Killed once to begin: the running a-1 started before the crash file existed; each restart then exits 7.
    process.kill((await daemon.status()).slots.a.instances[0]!.pid!, 'SIGKILL');
    // The fifth crash: its restart waits 1.6 s (100 ms doubled for each of the 4 restarts before it).
    await eventually(() => expect(crashes()).toBeGreaterThanOrEqual(4), 30_000);
    await rm(crashFile);
    const update = await daemon.api('POST', '/api/hotswap/update');
    expect(update.status, JSON.stringify(update.json)).toBe(200);
    const fresh = (await daemon.status()).slots.a.instances[0]!.pid!;
    process.kill(fresh, 'SIGKILL');

    const restarted = await eventually(async () => {
      const status = await daemon.status();
      expect(status.slots.a.healthy).toBe(2);
      const pid = status.slots.a.instances[0]!.pid!;
      expect(pid).not.toBe(fresh);
      return pid;
    }, 20_000);
    expect(isAlive(restarted)).toBe(true);
    expect(daemon.output()).toMatch(/instance a-1 restarted as pid/);
    expect((JSON.parse((await request(`${daemon.proxyUrl}/AppRun.json`)).body) as { version: string }).version).toBe('2.0.0');
  });

  it('refuses an upload over uploads.maxBytes with 413 and writes nothing', async () => {
    const daemon = await startHotswapDaemon({ uploads: { maxBytes: 1_000 } });
    const big = path.join(daemon.dir, 'big');
    await writeFile(big, Buffer.alloc(5_000, 1));
    const result = await daemon.cli(['hotswap', 'upload', big]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/over uploads\.maxBytes \(1000\)/);
    // Without a declared length the limit is enforced while streaming.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${daemon.adminUrl}/api/hotswap/upload`, { method: 'POST', headers: { authorization: `Bearer ${daemon.token}`, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(500, 2));
      req.end();
    });
    expect(chunked).toBe(413);
    await expect(stat(path.join(daemon.dir, 'deploy/server_update'))).rejects.toThrow();
    expect(await readdir(path.join(daemon.dir, 'deploy'))).toEqual(['server']);
  });

  it('refuses a sha256 mismatch with 422 and keeps the previous update file', async () => {
    const daemon = await startHotswapDaemon();
    const good = await buildExe(daemon.dir, 'v2', { version: '2.0.0' });
    expect((await daemon.cli(['hotswap', 'upload', good])).code).toBe(0);
    const updateFile = path.join(daemon.dir, 'deploy/server_update');
    const before = await readFile(updateFile, 'utf8');
    const answer = await request(`${daemon.adminUrl}/api/hotswap/upload?sha256=${'0'.repeat(64)}`, { method: 'POST', headers: { authorization: `Bearer ${daemon.token}` }, body: 'not the right file' });
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'checksum_mismatch' });
    expect(JSON.parse(answer.body).message).toMatch(/sha256 mismatch: expected 0{64}, got [0-9a-f]{64}/);
    expect(await readFile(updateFile, 'utf8')).toBe(before);
  });

  it('refuses an update with nothing uploaded with 422 and exit 2, and claims no rollback', async () => {
    const daemon = await startHotswapDaemon();
    const api = await daemon.api('POST', '/api/hotswap/update');
    const cli = await daemon.cli(['hotswap', 'update']);
    expect({ status: api.status, error: api.json.error, rolledBack: api.json.rolledBack ?? null }).toEqual({ status: 422, error: 'invalid_input', rolledBack: null });
    expect({ code: cli.code, named: /no uploaded executable/.test(cli.stderr), back: /is back and serving/.test(cli.stderr) }, cli.stderr).toEqual({ code: 2, named: true, back: false });
  });

  it('keeps the previous update file when an upload is cut off mid-stream', async () => {
    const daemon = await startHotswapDaemon();
    const good = await buildExe(daemon.dir, 'v2', { version: '2.0.0' });
    expect((await daemon.cli(['hotswap', 'upload', good])).code).toBe(0);
    const updateFile = path.join(daemon.dir, 'deploy/server_update');
    const before = await readFile(updateFile, 'utf8');
    const deployDir = path.join(daemon.dir, 'deploy');
    // Uploads are received into state/uploads before anything else happens.
    const uploadsDir = path.join(daemon.dir, 'state/uploads');
    const req = http.request(`${daemon.adminUrl}/api/hotswap/upload`, { method: 'POST', headers: { authorization: `Bearer ${daemon.token}`, 'content-length': '100000' } });
    req.on('error', () => {});
    req.write(Buffer.alloc(20_000, 3));
    // Cut the upload off once the daemon is receiving it (its temp file exists), not after a guessed delay.
    await eventually(async () => expect((await readdir(uploadsDir).catch(() => [])).filter((f) => f.endsWith('.part'))).toHaveLength(1), 10_000);
    req.destroy();
    // The cut-off call is in the audit log, as "client closed request", and its temp file is gone.
    await eventually(async () => {
      const audit = ((await daemon.api('GET', '/api/history?limit=10')).json as { audit: { action: string; status: number }[] }).audit;
      expect(audit.filter((a) => a.action === 'POST /api/hotswap/upload').map((a) => a.status)).toEqual([499, 200]);
      expect((await readdir(deployDir)).sort()).toEqual(['server', 'server_update']);
      expect(await readdir(uploadsDir)).toEqual([]);
    });
    expect(await readFile(updateFile, 'utf8')).toBe(before);
    expect((await daemon.cli(['hotswap', 'update'])).code).toBe(0);
    expect(JSON.parse((await request(`${daemon.proxyUrl}/`)).body).version).toBe('2.0.0');
  });
});

import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { isAlive, SAMPLE_API } from '../helpers/test-daemon.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SHIPPED_PORTS = [8080, 8081, 9001, 9002];

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

// The shipped ports may be taken on a developer's machine (a running `npm start`); CI has them free.
const free = (await Promise.all(SHIPPED_PORTS.map(portFree))).every(Boolean);

describe('the quick start', () => {
  it('npm start runs "slotswap start" on the root config, building first', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
    expect(pkg.scripts.start).toBe('node --max-semi-space-size=4 dist/cli/main.js start');
    expect(pkg.scripts.prestart).toMatch(/build/);
    expect(pkg.scripts.prepare).toMatch(/build/);
    expect(pkg.bin.slotswap).toBe('dist/cli/main.js');
  });

  it.skipIf(!free)('serves the sample API at http://localhost:8080/ with the shipped config, and stops its instances on SIGTERM', { timeout: 60_000 }, async () => {
    // A copy of the project's own config and sample API, so the test leaves no state/ in the work tree.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-quickstart-'));
    await cp(path.join(ROOT, 'orchestrator.config.json'), path.join(dir, 'orchestrator.config.json'));
    await cp(SAMPLE_API, path.join(dir, 'sites/sample-api'), { recursive: true });
    let output = '';
    const child = spawn(process.execPath, [CLI, 'start'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });

    const answer = await eventually(async () => {
      const res = await request('http://localhost:8080/');
      expect(res.status).toBe(200);
      return res;
    }, 20_000);
    expect(JSON.parse(answer.body)).toMatchObject({ version: '1.0.0', slot: 'a', instance: 1 });
    expect(answer.headers['x-served-by-slot']).toBe('a');
    expect(output).toMatch(/public URL http:\/\/localhost:8080/);
    expect(output).toMatch(/admin API on http:\/\/127\.0\.0\.1:8081/);
    expect(output).toMatch(/admin token in .*state\/admin\.token/);
    const pid = (JSON.parse(answer.body) as { pid: number }).pid;

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(isAlive(pid)).toBe(false);
  });
});

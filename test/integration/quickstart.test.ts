import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { isAlive } from '../helpers/test-daemon.js';
import { makeShippedProject } from '../helpers/shipped-config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the quick start', () => {
  it('npm start runs "slotswap start" on the root config, building first', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
    expect(pkg.scripts.start).toBe('node --max-semi-space-size=4 dist/cli/main.js start');
    expect(pkg.scripts.prestart).toMatch(/build/);
    expect(pkg.scripts.prepare).toMatch(/build/);
    expect(pkg.bin.slotswap).toBe('dist/cli/main.js');
  });

  // On free ports, not 8080: the README invites running the tests while `npm start` runs.
  it('serves the sample API at http://localhost:<proxy.port>/ with the shipped config on free ports, and stops its instances on SIGTERM', { timeout: 60_000 }, async () => {
    // A copy of the project's own config (only its ports changed) and sample API, so the test leaves no state/ in the work tree.
    const { dir, config } = await makeShippedProject();
    const [port, adminPort] = [config.proxy.port, config.admin.port];
    let output = '';
    const env: NodeJS.ProcessEnv = { ...process.env, SLOTSWAP_ADMIN_TOKEN: '' };
    delete env.SLOTSWAP_CONFIG; // `npm start` reads ./orchestrator.config.json
    const child = spawn(process.execPath, [CLI, 'start'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });

    const answer = await eventually(async () => {
      const res = await request(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      return res;
    }, 20_000);
    expect(JSON.parse(answer.body)).toMatchObject({ version: '1.0.0', slot: 'a', instance: 1 });
    expect(answer.headers['x-served-by-slot']).toBe('a');
    expect(output).toContain(`proxy on http://0.0.0.0:${port} (public URL http://localhost:${port})`);
    expect(output).toContain(`admin API on http://127.0.0.1:${adminPort}`);
    await eventually(() => expect(output).toContain(`serving http://localhost:${port}/`));
    expect(output).toMatch(/admin token in .*state\/admin\.token/);
    const pid = (JSON.parse(answer.body) as { pid: number }).pid;

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(isAlive(pid)).toBe(false);
  });
});

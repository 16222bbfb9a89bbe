import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { buildExe, startHotswapDaemon } from '../helpers/hotswap-project.js';
import { settled } from '../helpers/settled.js';

async function everythingWritten(dir: string): Promise<string> {
  const files: string[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name !== 'admin.token' && !entry.name.endsWith('.tgz')) files.push(full);
    }
  };
  await walk(path.join(dir, 'state'));
  return (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n');
}

describe('security', () => {
  it('never writes a token, right or wrong, to logs, history, state or error messages', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const wrong = 'wrong-token-5f3a9c1e7d';
    const refused = await request(`${daemon.adminUrl}/api/flip`, { method: 'POST', headers: { authorization: `Bearer ${wrong}` } });
    expect(refused.status).toBe(401);
    const cli = await daemon.cli(['status', '--token', wrong]);
    expect(cli.code).toBe(3);
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0'])).code).toBe(0);
    // The old slot drains after the deploy returns: a second operation before it is over would get 4 (busy), not 2.
    await settled(daemon);
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', 'bad'])).code).toBe(2);
    await daemon.cli(['hold']);
    await daemon.cli(['resume']);
    const history = (await daemon.api('GET', '/api/history?limit=100')).body;
    const written = await everythingWritten(daemon.dir);
    for (const secret of [daemon.token, wrong]) {
      expect(refused.body).not.toContain(secret);
      expect(cli.stdout + cli.stderr).not.toContain(secret);
      expect(daemon.output()).not.toContain(secret);
      expect(history).not.toContain(secret);
      expect(written).not.toContain(secret);
    }
  });

  it('listens for the admin API on loopback by default and warns when it does not', { timeout: 60_000 }, async () => {
    const loopback = await startDaemon();
    expect(loopback.output()).not.toMatch(/WARNING/);
    const open = await startDaemon({ admin: { host: '0.0.0.0' } });
    expect(open.output()).toMatch(/WARNING the admin API listens on 0\.0\.0\.0, not on loopback/);
  });

  it('writes an upload only to hotswap.updateFile, whatever the request says', { timeout: 60_000 }, async () => {
    const daemon = await startHotswapDaemon();
    const exe = await buildExe(daemon.dir, 'v2', { version: '2.0.0' });
    const answer = await request(`${daemon.adminUrl}/api/hotswap/upload?file=../../evil&path=/tmp/evil&updateFile=x`, {
      method: 'POST',
      headers: { authorization: `Bearer ${daemon.token}`, 'x-slotswap-file': '../evil', 'content-disposition': 'attachment; filename="../../evil"' },
      body: await readFile(exe),
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).file).toBe(path.join(daemon.dir, 'deploy/server_update'));
    expect((await readdir(path.join(daemon.dir, 'deploy'))).sort()).toEqual(['server', 'server_update']);
    await expect(stat(path.join(daemon.dir, 'evil'))).rejects.toThrow();
    await expect(stat('/tmp/evil')).rejects.toThrow();
    expect(((await stat(path.join(daemon.dir, 'deploy/server_update'))).mode & 0o777).toString(8)).toBe('755');
  });
});

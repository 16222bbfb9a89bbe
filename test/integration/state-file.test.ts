import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, startDaemon } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { runCli } from '../helpers/cli.js';

const cases = [
  { name: 'a truncated file', content: '{"schemaVersion": 1, "live": "a", "slo', message: /cannot be read/ },
  { name: 'an empty file', content: '', message: /cannot be read/ },
  { name: 'a file of another shape', content: '{"schemaVersion": 1, "live": "c", "slots": {}, "history": [], "audit": []}', message: /"live": expected "a", "b" or null, got "c"/ },
  { name: 'a file from a future slotswap', content: '{"schemaVersion": 99}', message: /written by a newer slotswap/ },
];

describe('the state file', () => {
  for (const c of cases) {
    it(`stops the daemon with exit 2 and leaves ${c.name} untouched`, async () => {
      const project = await makeProject();
      const stateFile = path.join(project.dir, 'state/slotswap.json');
      await mkdir(path.dirname(stateFile), { recursive: true });
      await writeFile(stateFile, c.content);
      const result = await runCli(['start', '--config', project.configFile], { timeoutMs: 20_000 });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(stateFile);
      expect(result.stderr).toMatch(c.message);
      expect(result.stderr).toMatch(/left untouched/);
      expect(await readFile(stateFile, 'utf8')).toBe(c.content);
    });
  }
});

describe('a state write that fails (the disk refuses it)', () => {
  it('refuses the change with a clear error, keeps status, manifest and file in agreement, and the live slot serving', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const stateFile = path.join(daemon.dir, 'state/slotswap.json');
    const before = await readFile(stateFile, 'utf8');
    // lowdb writes <dir>/.slotswap.json.tmp then renames it: a folder in its way makes every write fail, even for root.
    const blocker = path.join(daemon.dir, 'state/.slotswap.json.tmp');
    await mkdir(blocker);

    const notice = await daemon.cli(['notice', 'set', 'Maintenance tonight']);
    expect(notice.code).toBe(1);
    expect(notice.stderr).toContain(stateFile);
    const noticeInStatus = async () => ((await daemon.status()).manifest as { notice: unknown }).notice;
    expect(await noticeInStatus()).toBeNull();
    expect(JSON.parse((await request(`${daemon.proxyUrl}/AppRun.json`)).body).notice).toBeNull();

    const hold = await daemon.cli(['hold']);
    expect(hold.code).toBe(1);
    expect(hold.stderr).toMatch(/cannot write the state file .*free disk space/);
    expect(((await daemon.status()).hold as { on: boolean }).on).toBe(false);
    expect((await request(`${daemon.proxyUrl}/`)).status).toBe(200);

    const deploy = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0']);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain(stateFile);
    const status = await daemon.status();
    expect(status.live).toBe('a');
    expect(status.slots.a.version).toBe('1.0.0');
    expect(status.slots.b.state).toBe('empty');
    expect(JSON.parse((await request(`${daemon.proxyUrl}/`)).body).version).toBe('1.0.0');
    expect(await readFile(stateFile, 'utf8')).toBe(before);
    // The refused calls are still on record, in the daemon's log.
    expect(daemon.output()).toMatch(/could not write the audit entry \{[^}]*"action":"POST \/api\/hold","status":500\}/);

    await rm(blocker, { recursive: true });
    expect((await daemon.cli(['notice', 'set', 'Maintenance tonight'])).code).toBe(0);
    expect(await noticeInStatus()).toEqual({ message: 'Maintenance tonight', mandatory: false });
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { notice: unknown; slots: { b: { state: string } } };
    expect(saved.notice).toEqual({ message: 'Maintenance tonight', mandatory: false });
    expect(saved.slots.b.state).toBe('empty');
    const redeploy = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0']);
    expect(redeploy.code, redeploy.stderr).toBe(0);
    expect(JSON.parse((await request(`${daemon.proxyUrl}/`)).body).version).toBe('1.1.0');
  });
});

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon } from '../helpers/test-daemon.js';

const SECRET = 'hunter2-secret';

const modeOf = async (file: string) => ((await stat(file)).mode & 0o777).toString(8).padStart(4, '0');

describe('secrets in a release env', () => {
  it('keeps the state folder 0700 and the state, log and runtime files 0600, and never shows an env value in status, history, the daemon log or slotswap status --json', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const release = await makeRelease(daemon.dir, 'secret', { version: '1.1.0', env: { DB_PASSWORD: SECRET } });
    const deploy = await daemon.cli(['deploy', release], 60_000);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(`${deploy.stdout}${deploy.stderr}`).not.toContain(SECRET);

    const stateDir = path.join(daemon.dir, 'state');
    const logs = (await readdir(path.join(stateDir, 'logs'))).map((f) => path.join(stateDir, 'logs', f));
    expect(logs.length).toBeGreaterThan(0);
    const modes: Record<string, string> = { state: await modeOf(stateDir), 'slotswap.json': await modeOf(path.join(stateDir, 'slotswap.json')) };
    for (const file of ['instances.json', 'daemon.json', ...logs]) modes[path.basename(file)] = await modeOf(path.isAbsolute(file) ? file : path.join(stateDir, file));
    expect(modes).toEqual(Object.fromEntries(Object.keys(modes).map((k) => [k, k === 'state' ? '0700' : '0600'])));
    // The release's own release.json keeps the archive's mode, but its slot folder lets no other user in.
    const live = (await daemon.status()).live!;
    expect(await modeOf(path.join(daemon.dir, 'sites', live))).toBe('0700');

    const status = await daemon.api('GET', '/api/status');
    expect(status.body).not.toContain(SECRET);
    // The keys are shown, the values redacted.
    const slots = status.json.slots as Record<string, { version: string | null; env?: Record<string, string> }>;
    const liveView = Object.values(slots).find((s) => s.version === '1.1.0');
    expect(liveView?.env).toEqual({ DB_PASSWORD: '***' });
    const history = await daemon.api('GET', '/api/history?limit=100');
    expect(history.status).toBe(200);
    expect(history.body).not.toContain(SECRET);
    const cliStatus = await daemon.cli(['status', '--json']);
    expect(cliStatus.code).toBe(0);
    expect(cliStatus.stdout).toContain('DB_PASSWORD');
    expect(`${cliStatus.stdout}${cliStatus.stderr}`).not.toContain(SECRET);
    expect(daemon.output()).not.toContain(SECRET);
    for (const log of logs) expect(await readFile(log, 'utf8')).not.toContain(SECRET);
  });
});

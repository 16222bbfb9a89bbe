import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon, startDaemonIn } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';
import { request } from '../helpers/http-client.js';

// Listens only once the gate file exists, so a start-up restore stays in its health step until the test opens it.
const gatedStart = (gate: string) => `import { existsSync } from 'node:fs'; const t = setInterval(() => { if (existsSync(${JSON.stringify(gate)})) { clearInterval(t); import('./server.mjs'); } }, 20);`;

describe('operations that fail late, and start-up', () => {
  it('finishes a deploy whose manifest copy cannot be written after the flip: the new slot stays live, the old one drains and stops', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    // A non-empty folder where state/AppRun.json goes: the rename of the copy fails.
    const copy = path.join(daemon.dir, 'state/AppRun.json');
    await rm(copy, { force: true });
    await mkdir(copy);
    await writeFile(path.join(copy, 'keep'), 'x');
    const result = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0', '--wait-drain']);
    expect(result.code, result.stderr).toBe(0);
    const status = await daemon.status();
    expect(status.live).toBe('b');
    expect(status.slots.b.state).toBe('live');
    expect(status.slots.a.state).toBe('stopped');
    expect(JSON.parse((await request(`${daemon.proxyUrl}/`)).body).version).toBe('1.1.0');
    expect(JSON.parse((await request(`${daemon.proxyUrl}/AppRun.json`)).body).version).toBe('1.1.0');
    expect(daemon.output()).toMatch(/the copy of the manifest could not be written/);
  });

  it('restores the live slot at start-up under the operation lock: a deploy meanwhile gets exit 4 naming start-up', { timeout: 60_000 }, async () => {
    const first = await startDaemon();
    const gate = path.join(first.dir, 'gate');
    await writeFile(gate, 'open');
    const gated = await makeRelease(first.dir, 'gated', { version: '1.1.0', start: ['node', '--input-type=module', '-e', gatedStart(gate)] });
    expect((await first.cli(['deploy', gated, '--wait-drain'])).code).toBe(0);
    await first.stop();
    await rm(gate);
    const daemon = await startDaemonIn(first.project, { waitLive: false });
    await eventually(async () => {
      const status = await daemon.status();
      expect(status.operation).toMatchObject({ op: 'start-up' });
      expect(status.slots.b.instances[0]?.pid).toBeGreaterThan(0);
    }, 20_000);
    const meanwhile = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.2.0']);
    expect(meanwhile.code).toBe(4);
    expect(meanwhile.stderr).toMatch(/another operation is running \(start-up/);
    await writeFile(gate, 'open');
    await eventually(async () => expect(JSON.parse((await request(`${daemon.proxyUrl}/`)).body).version).toBe('1.1.0'), 20_000);
    // The restore lets go of the lock just after its publish step made the slot serve.
    await eventually(async () => expect((await daemon.status()).operation).toBeNull());
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';

// Listens only once the gate file exists, so the first deploy stays in its health step until the test opens the gate.
const gatedStart = (gate: string) => `import { existsSync } from 'node:fs'; const t = setInterval(() => { if (existsSync(${JSON.stringify(gate)})) { clearInterval(t); import('./server.mjs'); } }, 20);`;

describe('the operation lock', () => {
  it('refuses a second deploy while one runs with exit 4 and changes nothing', { timeout: 60_000 }, async () => {
    // The old slot keeps draining for the whole test, so the flip back at the end has a running slot to go to.
    const daemon = await startDaemon({ drain: { graceMs: 60_000, idleMs: 60_000, timeoutMs: 120_000 } });
    const gate = path.join(daemon.dir, 'gate');
    const slow = await makeRelease(daemon.dir, 'slow', { version: '1.1.0', start: ['node', '--input-type=module', '-e', gatedStart(gate)] });
    const stateFile = path.join(daemon.dir, 'state/slotswap.json');
    const first = daemon.cli(['deploy', slow]);
    // The first deploy holds the lock: its instance runs and waits at the gate.
    await eventually(async () => {
      const status = await daemon.status();
      expect(status.operation).not.toBeNull();
      expect(status.slots.b.state).toBe('starting');
      expect(status.slots.b.instances[0]?.pid).toBeGreaterThan(0);
    }, 20_000);
    const second = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.2.0']);
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(/another operation is running \(deploy/);
    await writeFile(gate, 'open');

    const firstResult = await first;
    expect(firstResult.code, firstResult.stderr).toBe(0);
    // The refused deploy left no history entry and no release; only the audit log records the refusal.
    await eventually(async () => {
      const state = JSON.parse(await readFile(stateFile, 'utf8')) as { history: { op: string; toVersion: string | null }[]; audit: { action: string; status: number }[] };
      expect(state.history.map((h) => `${h.op} ${h.toVersion}`)).toEqual(['deploy 1.0.0', 'deploy 1.1.0']);
      expect(state.audit.filter((a) => a.action === 'POST /api/deploy').map((a) => a.status).sort()).toEqual([200, 409]);
    });
    const status = await daemon.status();
    expect(status.live).toBe('b');
    expect(status.slots.b.version).toBe('1.1.0');
    const api = await daemon.api('POST', '/api/flip');
    expect(api.status).toBe(200);
  });

  it('answers 409 over HTTP for a flip when the other slot is not running', async () => {
    const daemon = await startDaemon();
    const answer = await daemon.api('POST', '/api/flip');
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ error: 'conflict' });
    expect(String(answer.json.message)).toMatch(/slot b is empty/);
    const cli = await daemon.cli(['flip']);
    expect(cli.code).toBe(4);
  });
});

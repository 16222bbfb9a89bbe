import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';

// Waits 1.5 s before listening, so the first deploy is still in its health step when the second arrives.
const SLOW_START = "setTimeout(() => import('./server.mjs'), 1500);";

describe('the operation lock', () => {
  it('refuses a second deploy while one runs with exit 4 and changes nothing', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const slow = await makeRelease(daemon.dir, 'slow', { version: '1.1.0', start: ['node', '--input-type=module', '-e', SLOW_START] });
    const stateFile = path.join(daemon.dir, 'state/slotswap.json');
    const first = daemon.cli(['deploy', slow]);
    await new Promise((r) => setTimeout(r, 700));
    const second = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.2.0']);
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(/another operation is running \(deploy/);

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

// `slotswap config check` beside a running daemon: each key the file changes against the daemon's config, with what it
// needs (slotswap restart, a stop and start, or the next deploy); exit 0 as long as the config itself is valid.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startDaemon } from '../helpers/test-daemon.js';

interface Change {
  key: string;
  from: unknown;
  to: unknown;
  applies: string;
  why: string;
}

describe('slotswap config check against the running daemon', () => {
  it('says nothing changed for the file the daemon runs, then names each changed key with what it needs', { timeout: 120_000 }, async () => {
    const daemon = await startDaemon({ hold: { timeoutMs: 30_000 } });
    const same = await daemon.cli(['config', 'check'], 30_000);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/config OK: /);
    expect(same.stdout).toMatch(/no change against the running daemon \(pid \d+\)/);
    const sameJson = JSON.parse((await daemon.cli(['config', 'check', '--json'], 30_000)).stdout) as { running: { pid: number } | null; changes: Change[] };
    expect(sameJson.running?.pid).toBeGreaterThan(0);
    expect(sameJson.changes).toEqual([]);

    const raw = JSON.parse(await readFile(daemon.configFile, 'utf8')) as { hold: { timeoutMs: number }; slots: { a: { port: number } } };
    const oldPort = raw.slots.a.port;
    raw.hold.timeoutMs = 5_000;
    raw.slots.a.port = oldPort + 100;
    await writeFile(daemon.configFile, JSON.stringify(raw, null, 2));

    const text = await daemon.cli(['config', 'check'], 30_000);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/config OK: /);
    expect(text.stdout).toMatch(/hold\.timeoutMs: 30000 -> 5000: applies on slotswap restart/);
    expect(text.stdout).toMatch(new RegExp(`slots\\.a\\.port: ${oldPort} -> ${oldPort + 100}: needs a stop and start`));

    const json = await daemon.cli(['config', 'check', '--json'], 30_000);
    expect(json.code, json.stderr).toBe(0);
    const { ok, changes } = JSON.parse(json.stdout) as { ok: boolean; changes: Change[] };
    expect(ok).toBe(true);
    const byKey = [...changes].sort((x, y) => x.key.localeCompare(y.key));
    expect(byKey.map(({ key, from, to, applies }) => ({ key, from, to, applies }))).toEqual([
      { key: 'hold.timeoutMs', from: 30_000, to: 5_000, applies: 'restart' },
      { key: 'slots.a.port', from: oldPort, to: oldPort + 100, applies: 'stop-start' },
    ]);
    expect(byKey[1]!.why).toMatch(/slot a/);

    // What config check says needs a stop and start is what slotswap restart refuses.
    const restarted = await daemon.cli(['restart'], 90_000);
    expect(restarted.code).not.toBe(0);
    expect(restarted.stderr).toContain('slots.a.port');
  });
});

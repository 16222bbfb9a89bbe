// The analysis with real daemons and real load: a release that fails half its requests is aborted during its canary,
// and rolled back during its watch, by slotswap's own per-slot counts; the history keeps the rule and the figures.
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';
import { settled } from '../helpers/settled.js';
import { startLoad } from '../helpers/load.js';

/** A release that answers 500 to every second request (its /health stays fine), or sleeps `slowMs` before each answer. */
const FLAKY = `import http from 'node:http';
const slowMs = Number(process.env.SLOW_MS || 0);
let n = 0;
http.createServer((req, res) => {
  const send = (status) => {
    const body = JSON.stringify({ version: process.env.SLOTSWAP_VERSION, slot: process.env.SLOTSWAP_SLOT, instance: 1 });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.url === '/health') return send(200);
  req.resume();
  const status = !slowMs && n++ % 2 === 1 ? 500 : 200;
  setTimeout(() => send(status), slowMs);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

interface Entry {
  op: string;
  actor: string;
  steps: { name: string; detail?: string }[];
  outcome: string;
  error: string | null;
  startedAt: string;
  endedAt: string | null;
  analysis?: { rule: string; limit: number; measured: number; requests: number; errors: number; errorRatePct: number; p99Ms: number | null; otherP99Ms: number | null };
}

async function history(daemon: TestDaemon): Promise<Entry[]> {
  return (await daemon.api('GET', '/api/history?limit=20')).json.entries as Entry[];
}

async function flakyRelease(daemon: TestDaemon, env: Record<string, string> = {}): Promise<string> {
  return makeRelease(daemon.dir, 'flaky', { version: '1.1.0', start: ['node', 'flaky.mjs'], env }, { 'flaky.mjs': FLAKY });
}

describe('canary analysis', () => {
  it('aborts a canary that answers 500 to half its requests within the analysis window; the old slot fails none, the history has the rule and figures', async () => {
    const daemon = await startDaemon();
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 20, stop: () => stop, maxMs: 60_000 });
    const deployed = await daemon.cli(['deploy', await flakyRelease(daemon), '--canary', '20', '--max-error-rate', '5']);
    expect(deployed.code, deployed.stderr).toBe(0);
    const canaryStarted = Date.now();
    // The verdict is in the history as soon as traffic is routed back, not only once the canary slot has drained.
    await eventually(async () => {
      const entry = (await history(daemon)).find((h) => h.op === 'abort');
      expect(entry?.steps.find((st) => st.name === 'route back')?.detail).toMatch(/aborted: analysis: .*error rate [\d.]+ % > max 5 %/);
    }, 20_000);
    const abort = await eventually(async () => {
      const entry = (await history(daemon)).find((h) => h.op === 'abort');
      expect(entry?.outcome).toBe('aborted');
      return entry!;
    }, 20_000);
    const tookMs = Date.parse(abort.startedAt) - canaryStarted;
    expect(tookMs, 'aborted within the 10 s window').toBeLessThan(10_000);
    stop = true;
    const outcomes = await load.done;
    const onOld = outcomes.filter((o) => o.slot === 'a');
    expect(onOld.length).toBeGreaterThan(100);
    expect(onOld.filter((o) => o.error !== null)).toEqual([]);
    expect(outcomes.filter((o) => o.slot === 'b' && o.status === 500).length, 'the canary did fail requests').toBeGreaterThan(0);
    expect(abort.actor).toBe('analysis');
    expect(abort.analysis).toMatchObject({ rule: 'max-error-rate', limit: 5 });
    expect(abort.analysis!.measured).toBeGreaterThan(30);
    expect(abort.analysis!.requests).toBeGreaterThanOrEqual(20);
    expect(abort.error).toMatch(/error rate [\d.]+ % > max 5 %/);
    await settled(daemon);
    const status = await daemon.status();
    expect(status.live).toBe('a');
    expect(status.slots.b.state).toBe('stopped');
  }, 120_000);

  it('rolls back a watched release (no canary) that answers 500 to half its requests within the window, by the instant flip; deploy --wait exits 1', async () => {
    const daemon = await startDaemon();
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 20, stop: () => stop, maxMs: 60_000 });
    const started = Date.now();
    const deployed = await daemon.cli(['deploy', await flakyRelease(daemon), '--watch', '20000', '--max-error-rate', '5', '--wait'], 60_000);
    // The answer comes once the flip back is done: every request sent after it must reach the old slot.
    const flippedBackAt = Date.now();
    const waitedMs = flippedBackAt - started;
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(1);
    expect(deployed.stderr).toMatch(/rolled back: analysis: slot b \(1\.1\.0\) error rate [\d.]+ % > max 5 %/);
    expect(waitedMs, 'decided long before the 20 s watch ended').toBeLessThan(15_000);
    const status = await daemon.status();
    expect(status.live, 'the old slot is live again').toBe('a');
    const entries = await history(daemon);
    const rollback = entries.find((h) => h.op === 'rollback');
    expect(rollback, 'the instant flip back, by the analysis').toMatchObject({ actor: 'analysis' });
    const deploy = await eventually(async () => {
      const entry = (await history(daemon)).find((h) => h.op === 'deploy' && h.actor !== 'bootstrap');
      expect(entry?.outcome).toBe('rolled-back');
      return entry!;
    }, 20_000);
    expect(deploy.analysis).toMatchObject({ rule: 'max-error-rate', limit: 5 });
    await eventually(() => expect(load.answered().filter((o) => o.start > flippedBackAt).length).toBeGreaterThan(100), 20_000);
    stop = true;
    const after = (await load.done).filter((o) => o.start > flippedBackAt);
    expect(after.filter((o) => o.slot !== 'a' || o.error !== null), 'requests after the flip back').toEqual([]);
    await settled(daemon);
    expect((await daemon.status()).slots.b.state).toBe('stopped');
    expect((await history(daemon)).find((h) => h.op === 'rollback')).toMatchObject({ outcome: 'ok' });
  }, 120_000);

  it('aborts a canary whose p99 is over --max-p99-ms and over the live slot p99', async () => {
    const daemon = await startDaemon();
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 20, stop: () => stop, maxMs: 60_000 });
    const deployed = await daemon.cli(['deploy', await flakyRelease(daemon, { SLOW_MS: '300' }), '--canary', '50', '--max-p99-ms', '100', '--min-requests', '10', '--wait'], 60_000);
    stop = true;
    await load.done;
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(1);
    expect(deployed.stderr).toMatch(/aborted: analysis: slot b \(1\.1\.0\) p99 [\d.]+ ms > max 100 ms/);
    const abort = await eventually(async () => {
      const entry = (await history(daemon)).find((h) => h.op === 'abort');
      expect(entry?.outcome).toBe('aborted');
      return entry!;
    }, 20_000);
    expect(abort.analysis).toMatchObject({ rule: 'max-p99-ms', limit: 100 });
    expect(abort.analysis!.measured).toBeGreaterThan(250);
    expect(abort.analysis!.otherP99Ms!, 'the live slot was faster').toBeLessThan(abort.analysis!.measured);
  }, 120_000);
});

import { describe, expect, it } from 'vitest';
import { startDaemon } from '../helpers/test-daemon.js';
import { answeredAfter, failures, startLoad, whenAnswered } from '../helpers/load.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';

interface HistoryView {
  entries: { op: string; outcome: string; actor: string; fromVersion: string | null; toVersion: string | null; steps: { name: string; ms: number; ok: boolean }[] }[];
  audit: { actor: string; action: string; status: number; at: string }[];
}

/** Every sample of a Prometheus text exposition, or a thrown error naming the line that does not parse. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

describe('rollback', () => {
  it('flips back instantly within graceMs, with 0 failed requests for 50 clients', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon({ drain: { graceMs: 30_000, timeoutMs: 120_000 } });
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0'])).code).toBe(0);
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 50, stop: () => stop, maxMs: 30_000, kinds: ['get', 'post', 'slow'] });
    await whenAnswered(load, 200);
    const result = await daemon.cli(['rollback', '--json']);
    const rolledBackAt = Date.now();
    await whenAnswered(load, 200, rolledBackAt);
    stop = true;
    const outcomes = await load.done;
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout) as { mode: string; slot: string; version: string };
    expect(answer).toMatchObject({ mode: 'flip', slot: 'a', version: '1.0.0' });
    expect(failures(outcomes)).toEqual([]);
    expect(answeredAfter(outcomes, rolledBackAt)).toEqual(new Set(['1.0.0']));
    const history = (await daemon.api('GET', '/api/history?limit=1')).json as unknown as HistoryView;
    const flip = history.entries[0]!.steps.find((s) => s.name === 'flip')!;
    expect(history.entries[0]!.op).toBe('rollback');
    expect(flip.ms).toBeLessThan(50);
    console.log(`rollback: flip step ${flip.ms} ms, ${outcomes.length} requests, ${failures(outcomes).length} failed`);
  });

  it('redeploys the archived previous release once its slot has stopped', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0', '--wait-drain'])).code).toBe(0);
    expect((await daemon.status()).slots.a.state).toBe('stopped');
    const result = await daemon.cli(['rollback']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/rolled back to 1\.0\.0: redeployed from its archive into slot a/);
    const answer = await request(`${daemon.proxyUrl}/`);
    expect(JSON.parse(answer.body)).toMatchObject({ version: '1.0.0', slot: 'a' });
  });
});

describe('drain control', () => {
  it('shows drain progress, and --now stops the draining slot after its in-flight requests finish', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon({ drain: { graceMs: 60_000, timeoutMs: 120_000 } });
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0'])).code).toBe(0);
    const progress = await daemon.cli(['drain']);
    expect(progress.stdout).toMatch(/a\s+draining\s+0\s/);
    const slow = request(`${daemon.proxyUrl}/_slots/a/slow?ms=2000`);
    // --now must meet the request in flight, so wait until the daemon counts it.
    await eventually(async () => expect((await daemon.status()).slots.a.inFlight).toBe(1));
    const now = await daemon.cli(['drain', '--now']);
    expect(now.code, now.stderr).toBe(0);
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).version).toBe('1.0.0');
    expect((await daemon.status()).slots.a.state).toBe('stopped');
    const again = await daemon.cli(['drain', '--now']);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/no slot is draining/);
  });
});

describe('history, audit, logs and metrics', () => {
  it('records every operation with versions, step timings, outcome and actor, and audits every authorised mutating call, refused ones too (a 401 is only counted, never written)', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon({ drain: { graceMs: 30_000, timeoutMs: 60_000 } });
    const sample = `${daemon.dir}/sites/sample-api`;
    expect((await daemon.cli(['deploy', sample, '--version', '1.1.0'])).code).toBe(0);
    expect((await daemon.cli(['flip'])).code).toBe(0);
    expect((await daemon.cli(['rollback'])).code).toBe(0);
    expect((await daemon.cli(['hold'])).code).toBe(0);
    expect((await daemon.cli(['resume'])).code).toBe(0);
    // Refused: slot b is still draining after the rollback.
    expect((await daemon.cli(['deploy', sample, '--version', '1.2.0'])).code).toBe(4);
    expect((await daemon.cli(['deploy', sample, '--version', '1.2.0', '--token', 'wrong'])).code).toBe(3);
    const history = (await daemon.api('GET', '/api/history?limit=50')).json as unknown as HistoryView;
    const ops = history.entries.map((e) => `${e.op} ${e.fromVersion}->${e.toVersion} ${e.outcome}`).reverse();
    // The rollback's entry ends, like a deploy's, once the slot it flipped away from has drained (graceMs is 30 s here).
    expect(ops).toEqual(['deploy null->1.0.0 ok', 'deploy 1.0.0->1.1.0 ok', 'flip 1.1.0->1.0.0 ok', 'rollback 1.0.0->1.1.0 running', 'hold 1.1.0->null ok', 'resume 1.1.0->null ok']);
    for (const entry of history.entries.filter((e) => ['deploy', 'flip', 'rollback'].includes(e.op))) {
      expect(entry.steps.length).toBeGreaterThan(0);
      for (const step of entry.steps) expect(step.ms).toBeGreaterThanOrEqual(0);
    }
    expect(history.entries.find((e) => e.op === 'rollback')!.actor).toMatch(/^token@127\.0\.0\.1$/);
    expect(history.entries.find((e) => e.actor === 'bootstrap')).toBeDefined();
    await eventually(async () => {
      const audit = ((await daemon.api('GET', '/api/history?limit=50')).json as unknown as HistoryView).audit.map((a) => `${a.action} ${a.status} ${a.actor}`).reverse();
      expect(audit).toEqual([
        'POST /api/deploy 200 token@127.0.0.1',
        'POST /api/flip 200 token@127.0.0.1',
        'POST /api/rollback 200 token@127.0.0.1',
        'POST /api/hold 200 token@127.0.0.1',
        'POST /api/resume 200 token@127.0.0.1',
        'POST /api/deploy 409 token@127.0.0.1',
      ]);
    });
  });

  it('serves /metrics as Prometheus text whose request counters grow by the requests sent', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const scrape = async () => {
      const answer = await request(`${daemon.adminUrl}/metrics`, { headers: { authorization: `Bearer ${daemon.token}` } });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return parsePrometheus(answer.body);
    };
    const before = await scrape();
    const ok = 'slotswap_requests_total{slot="a",status_class="2xx"}';
    const notFound = 'slotswap_requests_total{slot="a",status_class="4xx"}';
    for (let i = 0; i < 37; i++) await request(`${daemon.proxyUrl}/`);
    for (let i = 0; i < 5; i++) await request(`${daemon.proxyUrl}/nope`);
    await eventually(async () => {
      const after = await scrape();
      expect((after.get(ok) ?? 0) - (before.get(ok) ?? 0)).toBe(37);
      expect((after.get(notFound) ?? 0) - (before.get(notFound) ?? 0)).toBe(5);
      expect(after.get('slotswap_flips_total')).toBe(before.get('slotswap_flips_total'));
      expect(after.has('slotswap_in_flight_requests{slot="a"}')).toBe(true);
    });
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0'])).code).toBe(0);
    const flipped = await scrape();
    expect(flipped.get('slotswap_flips_total')).toBe((before.get('slotswap_flips_total') ?? 0) + 1);
    expect(flipped.get('slotswap_operation_step_seconds_count{op="deploy",step="flip",outcome="ok"}')).toBeGreaterThanOrEqual(1);
    const unauthorized = await request(`${daemon.adminUrl}/metrics`);
    expect(unauthorized.status).toBe(401);
  });

  it('shows the instances\' logs', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const logs = await daemon.cli(['logs', 'a', '--lines', '5']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/\[a-1\] .*sample-api 1\.0\.0 slot a instance 1/);
    const unknown = await daemon.api('GET', '/api/logs/c');
    expect(unknown.status).toBe(404);
  });
});

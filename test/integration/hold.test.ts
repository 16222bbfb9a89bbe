import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon } from '../helpers/test-daemon.js';
import { request, type HttpAnswer } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { answeredAfter, failures, startLoad, whenAnswered } from '../helpers/load.js';

describe('hold', () => {
  it('queues at most hold.maxQueued requests: the rest get 503 with Retry-After, the queued ones succeed after resume', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon({ hold: { maxQueued: 5, timeoutMs: 20_000 } });
    expect((await daemon.cli(['hold'])).code).toBe(0);
    const answers: Promise<HttpAnswer>[] = [];
    for (let i = 0; i < 10; i++) {
      answers.push(request(`${daemon.proxyUrl}/`, { headers: { 'x-test-id': `q${i}` } }));
      await eventually(async () => {
        const hold = (await daemon.status()).hold as { queued: number; refusedTotal: number };
        expect(hold.queued + hold.refusedTotal).toBe(i + 1);
      });
    }
    const refused = await Promise.all(answers.slice(5));
    for (const answer of refused) {
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBeDefined();
      expect(JSON.parse(answer.body).message).toMatch(/hold\.maxQueued/);
    }
    const resumed = await daemon.cli(['resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/5 waiting request\(s\) replayed in arrival order/);
    const served = await Promise.all(answers.slice(0, 5));
    expect(served.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const seen = JSON.parse((await request(`${daemon.proxyUrl}/seen`)).body) as { ids: string[] };
    expect(seen.ids.filter((id) => id.startsWith('q'))).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
  });

  it('answers a request held longer than hold.timeoutMs with 503 and never forwards it later', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon({ hold: { timeoutMs: 500 } });
    await daemon.cli(['hold']);
    const started = Date.now();
    const answer = await request(`${daemon.proxyUrl}/`, { headers: { 'x-test-id': 'too-old' } });
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBeDefined();
    expect(JSON.parse(answer.body).message).toMatch(/waited 500 ms \(hold\.timeoutMs\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    // A request sent after the resume is served, so anything the resume would replay has been forwarded by then.
    await daemon.cli(['resume']);
    expect((await request(`${daemon.proxyUrl}/`, { headers: { 'x-test-id': 'after-resume' } })).status).toBe(200);
    const seen = JSON.parse((await request(`${daemon.proxyUrl}/seen`)).body) as { ids: string[] };
    expect(seen.ids).toContain('after-resume');
    expect(seen.ids).not.toContain('too-old');
  });

  it('delivers a held POST to the server with its body intact', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    await daemon.cli(['hold']);
    const body = randomBytes(200_000).toString('base64');
    const pending = request(`${daemon.proxyUrl}/echo`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    await eventually(async () => expect(((await daemon.status()).hold as { queued: number }).queued).toBe(1));
    await daemon.cli(['resume']);
    const answer = await pending;
    expect(answer.status).toBe(200);
    const echoed = JSON.parse(answer.body) as { bytes: number; sha256: string };
    expect(echoed.bytes).toBe(Buffer.byteLength(body));
    expect(echoed.sha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('records hold and resume in the history', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    await daemon.cli(['hold']);
    await daemon.cli(['resume']);
    const history = (await daemon.api('GET', '/api/history?limit=5')).json as { entries: { op: string; outcome: string }[] };
    expect(history.entries.slice(0, 2).map((e) => `${e.op} ${e.outcome}`)).toEqual(['resume ok', 'hold ok']);
  });
});

describe('deploy --in-place', () => {
  it('refuses a version that is not newer with exit 2 and says nothing was put back, since nothing was touched', async () => {
    const daemon = await startDaemon();
    const result = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--in-place']);
    expect({ code: result.code, named: /1\.0\.0 is not greater than the live version 1\.0\.0/.test(result.stderr), back: /is back and serving/.test(result.stderr) }, result.stderr).toEqual({ code: 2, named: true, back: false });
    expect((await daemon.status()).slots.a.version).toBe('1.0.0');
  });

  it('replaces the live slot under a hold with 0 failed requests for 50 clients', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 50, stop: () => stop, maxMs: 60_000, kinds: ['get', 'post', 'slow'] });
    await whenAnswered(load, 200);
    const result = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0', '--in-place']);
    const doneAt = Date.now();
    await whenAnswered(load, 200, doneAt);
    stop = true;
    const outcomes = await load.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ok\s+hold/);
    expect(result.stdout).toMatch(/ok\s+swap/);
    expect(result.stdout).toMatch(/replaced slot a in place with 1\.1\.0; requests held \d+ ms, \d+ queued/);
    expect(failures(outcomes)).toEqual([]);
    expect(answeredAfter(outcomes, doneAt, (o) => `${o.version} ${o.slot}`)).toEqual(new Set(['1.1.0 a']));
    const status = await daemon.status();
    expect(status.live).toBe('a');
    expect(status.slots.a.version).toBe('1.1.0');
    expect(status.slots.b.state).toBe('empty');
  });

  it('rolls an in-place deploy back to the release it replaced, in place, and a flipped slot back to the other slot', { timeout: 120_000 }, async () => {
    // A long drain grace keeps the slot that was live running, so the later rollbacks are flips.
    const daemon = await startDaemon({ drain: { graceMs: 60_000, idleMs: 100, timeoutMs: 120_000, stopTimeoutMs: 3_000 } });
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 20, stop: () => stop, maxMs: 90_000, kinds: ['get', 'post'] });
    const served = async () => JSON.parse((await request(`${daemon.proxyUrl}/`)).body) as { version: string; slot: string };
    const rollback = async () => {
      const result = await daemon.cli(['rollback']);
      expect(result.code, result.stderr).toBe(0);
      return result.stdout;
    };
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0', '--in-place'])).code).toBe(0);
    expect(await rollback()).toMatch(/rolled back to 1\.0\.0: replaced slot a in place/);
    expect(await served()).toMatchObject({ version: '1.0.0', slot: 'a' });
    expect(await rollback()).toMatch(/rolled back to 1\.1\.0: replaced slot a in place/);
    expect(await served()).toMatchObject({ version: '1.1.0', slot: 'a' });
    expect((await daemon.status()).slots.b.state).toBe('empty');
    // A side-by-side deploy after that: rollback is the flip back and forth again, the in-place history is left behind.
    expect((await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.2.0'])).code).toBe(0);
    expect(await rollback()).toMatch(/rolled back to 1\.1\.0: slot a is live again \(instant flip/);
    expect(await rollback()).toMatch(/rolled back to 1\.2\.0: slot b is live again \(instant flip/);
    expect(await served()).toMatchObject({ version: '1.2.0', slot: 'b' });
    stop = true;
    const outcomes = await load.done;
    expect(outcomes.length).toBeGreaterThan(100);
    expect(failures(outcomes)).toEqual([]);
    const history = (await daemon.api('GET', '/api/history?limit=6')).json as { entries: { op: string; outcome: string; fromVersion: string; toVersion: string }[] };
    expect(history.entries.slice(0, 5).map((e) => `${e.op} ${e.fromVersion} -> ${e.toVersion}`)).toEqual([
      'rollback 1.1.0 -> 1.2.0',
      'rollback 1.2.0 -> 1.1.0',
      'deploy 1.1.0 -> 1.2.0',
      'rollback 1.0.0 -> 1.1.0',
      'rollback 1.1.0 -> 1.0.0',
    ]);
  });

  it('puts the previous release back when the new one fails its health check', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon({ health: { intervalMs: 50, timeoutMs: 1_500 } });
    const broken = await makeRelease(daemon.dir, 'broken', { version: '1.1.0', start: ['node', '-e', 'process.exit(2)'] });
    const result = await daemon.cli(['deploy', broken, '--in-place']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/previous version 1\.0\.0 is back and serving/);
    const answer = await request(`${daemon.proxyUrl}/`);
    expect(JSON.parse(answer.body).version).toBe('1.0.0');
    expect((await daemon.status()).slots.a.version).toBe('1.0.0');
  });
});


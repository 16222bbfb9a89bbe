// Canary by weight with real daemons and real load: the share of new clients, the sticky cookie, promote and abort.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon, startDaemonIn, type TestDaemon } from '../helpers/test-daemon.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { settled } from '../helpers/settled.js';
import { startLoad, type Outcome } from '../helpers/load.js';

interface CanaryView {
  slot: string;
  weight: number;
  version: string;
  fromSlot: string;
  figures: { canary: { requests: number }; live: { requests: number } };
}

async function startCanary(daemon: TestDaemon, percent: number): Promise<void> {
  const release = await makeRelease(daemon.dir, 'r-1.1.0', { version: '1.1.0' });
  const deployed = await daemon.cli(['deploy', release, '--canary', String(percent)]);
  expect(deployed.code, deployed.stderr).toBe(0);
  expect(deployed.stdout).toContain('slotswap promote');
  expect(deployed.stdout).toContain('slotswap abort');
}

/** `count` cookie-less GETs from `parallel` keep-alive loops; the slot each was served by, and its Set-Cookie. */
async function cookieless(url: string, count: number, parallel = 10): Promise<{ slot: string; cookie: string | undefined; status: number }[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: parallel });
  const out: { slot: string; cookie: string | undefined; status: number }[] = [];
  try {
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (out.length < count) {
          const answer = await request(`${url}/`, { agent });
          out.push({ slot: String(answer.headers['x-served-by-slot']), cookie: answer.headers['set-cookie']?.[0], status: answer.status });
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return out.slice(0, count);
}

const failed = (outcomes: readonly Outcome[]) => outcomes.filter((o) => o.error !== null);

describe('canary by weight', () => {
  it('sends about a quarter of 2,000 cookie-less clients to the canary at 25 %, each told by its cookie, and keeps a client with its cookie on its slot', async () => {
    const daemon = await startDaemon();
    await startCanary(daemon, 25);
    const status = await daemon.status();
    expect(status.live, 'the live slot stays live until the promotion').toBe('a');
    expect((status.canary as CanaryView).weight).toBe(25);
    expect((status.canary as CanaryView).slot).toBe('b');
    const manifest = JSON.parse((await request(`${daemon.proxyUrl}/AppRun.json`)).body) as { slot: string; version: string };
    expect(manifest).toMatchObject({ slot: 'a', version: '1.0.0' });

    const answers = await cookieless(daemon.proxyUrl, 2000);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const onCanary = answers.filter((a) => a.slot === 'b').length;
    const share = (onCanary / answers.length) * 100;
    expect(share, `share on the canary: ${share.toFixed(1)} %`).toBeGreaterThanOrEqual(17);
    expect(share, `share on the canary: ${share.toFixed(1)} %`).toBeLessThanOrEqual(33);
    for (const a of answers) expect(a.cookie).toBe(`slotswap_slot=${a.slot}; Path=/; HttpOnly; SameSite=Lax`);

    for (const slot of ['a', 'b']) {
      const agent = new http.Agent({ keepAlive: true });
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const answer = await request(`${daemon.proxyUrl}/`, { agent, headers: { cookie: `theme=dark; slotswap_slot=${slot}` } });
        seen.add(String(answer.headers['x-served-by-slot']));
        expect(answer.headers['set-cookie'], 'a pinned client gets no new cookie').toBeUndefined();
      }
      agent.destroy();
      expect([...seen], `a client pinned to ${slot}`).toEqual([slot]);
    }
    const figures = ((await daemon.status()).canary as CanaryView).figures;
    expect(figures.canary.requests).toBeGreaterThan(0);
    expect(figures.live.requests).toBeGreaterThan(0);
  }, 120_000);

  it('promotes under 50 keep-alive clients with 0 failed requests, then serves 100 % from the new slot', async () => {
    const daemon = await startDaemon();
    await startCanary(daemon, 25);
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 50, stop: () => stop, maxMs: 60_000, kinds: ['get', 'post', 'slow'] });
    await eventually(() => expect(load.answered().filter((o) => o.slot === 'b').length).toBeGreaterThan(20), 20_000);
    const promoted = await daemon.cli(['promote']);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toContain('promoted: slot b (1.1.0) is live');
    const after = Date.now();
    await eventually(() => expect(load.answered().filter((o) => o.start > after).length).toBeGreaterThan(500), 30_000);
    stop = true;
    const outcomes = await load.done;
    expect(failed(outcomes), JSON.stringify(failed(outcomes).slice(0, 3))).toEqual([]);
    const since = outcomes.filter((o) => o.start > after);
    expect(new Set(since.map((o) => o.slot))).toEqual(new Set(['b']));
    const status = await daemon.status();
    expect(status.live).toBe('b');
    expect(status.canary).toBeNull();
    await settled(daemon);
    expect((await daemon.status()).slots.a.state).toBe('stopped');
    const history = (await daemon.api('GET', '/api/history')).json.entries as { op: string; outcome: string }[];
    expect(history[0]).toMatchObject({ op: 'promote', outcome: 'ok' });
  }, 120_000);

  it('aborts under 50 keep-alive clients: 100 % back on the old slot with 0 failed, the canary slot stopped, the history says aborted', async () => {
    const daemon = await startDaemon();
    await startCanary(daemon, 25);
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 50, stop: () => stop, maxMs: 60_000, kinds: ['get', 'post', 'slow'] });
    await eventually(() => expect(load.answered().filter((o) => o.slot === 'b').length).toBeGreaterThan(20), 20_000);
    const aborted = await daemon.cli(['abort']);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(aborted.stdout).toContain('all traffic back on slot a');
    const after = Date.now();
    await eventually(() => expect(load.answered().filter((o) => o.start > after).length).toBeGreaterThan(500), 30_000);
    stop = true;
    const outcomes = await load.done;
    expect(failed(outcomes), JSON.stringify(failed(outcomes).slice(0, 3))).toEqual([]);
    expect(new Set(outcomes.filter((o) => o.start > after).map((o) => o.slot))).toEqual(new Set(['a']));
    // A client still holding the canary's cookie comes back to the live slot too.
    const pinned = await request(`${daemon.proxyUrl}/`, { headers: { cookie: 'slotswap_slot=b' } });
    expect(pinned.headers['x-served-by-slot']).toBe('a');
    await settled(daemon);
    const status = await daemon.status();
    expect(status.live).toBe('a');
    expect(status.slots.b.state).toBe('stopped');
    const history = (await daemon.api('GET', '/api/history')).json.entries as { op: string; outcome: string; error: string }[];
    expect(history[0]).toMatchObject({ op: 'abort', outcome: 'aborted' });
  }, 120_000);

  it('changes the weight with canary set, and refuses a weight outside 0-100 and a deploy while the canary runs', async () => {
    const daemon = await startDaemon();
    await startCanary(daemon, 25);
    const set = await daemon.cli(['canary', 'set', '100']);
    expect(set.code, set.stderr).toBe(0);
    const answers = await cookieless(daemon.proxyUrl, 50, 5);
    expect(new Set(answers.map((a) => a.slot))).toEqual(new Set(['b']));
    const bad = await daemon.api('POST', '/api/canary', { weight: 101 });
    expect(bad.status).toBe(400);
    expect(String(bad.json.message)).toContain('expected a whole percentage from 0 to 100, got "101"');
    const again = await daemon.cli(['deploy', await makeRelease(daemon.dir, 'r-1.2.0', { version: '1.2.0' })]);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('a canary runs on slot b');
    const shown = await daemon.cli(['status']);
    expect(shown.stdout).toContain('canary: slot b (1.1.0) takes 100 % of new clients');
  }, 120_000);

  it('advances the weight by --steps every --step-ms and promotes after the last step', async () => {
    const daemon = await startDaemon();
    const release = await makeRelease(daemon.dir, 'r-1.1.0', { version: '1.1.0' });
    const deployed = await daemon.cli(['deploy', release, '--steps', '10,25,50', '--step-ms', '400']);
    expect(deployed.code, deployed.stderr).toBe(0);
    const weights = new Set<number>();
    await eventually(async () => {
      const status = await daemon.status();
      const canary = status.canary as CanaryView | null;
      if (canary) weights.add(canary.weight);
      expect(status.live).toBe('b');
    }, 20_000);
    expect([...weights].every((w) => [10, 25, 50].includes(w))).toBe(true);
    const history = (await daemon.api('GET', '/api/history?limit=10')).json.entries as { op: string; actor: string; outcome: string }[];
    expect(history.filter((h) => h.op === 'canary' && h.actor === 'steps').length).toBe(2);
    expect(history.find((h) => h.op === 'promote')).toMatchObject({ actor: 'steps' });
  }, 120_000);

  it('keeps the canary in the state file, and a restarted daemon whose canary slot did not come back clears it and serves the live slot', async () => {
    const daemon = await startDaemon();
    await startCanary(daemon, 25);
    const stateFile = path.join(daemon.dir, 'state/slotswap.json');
    const recorded = JSON.parse(await readFile(stateFile, 'utf8')) as { live: string; canary: { slot: string; weight: number } | null };
    expect(recorded.live).toBe('a');
    expect(recorded.canary).toMatchObject({ slot: 'b', weight: 25 });
    expect(await daemon.stop()).toBe(0);
    const again = await startDaemonIn(daemon.project);
    await eventually(async () => {
      const state = JSON.parse(await readFile(stateFile, 'utf8')) as { canary: unknown };
      expect(state.canary ?? null).toBeNull();
    }, 10_000);
    const status = await again.status();
    expect(status.live).toBe('a');
    expect(status.canary).toBeNull();
    const answers = await cookieless(again.proxyUrl, 50, 5);
    expect(new Set(answers.map((a) => a.slot))).toEqual(new Set(['a']));
  }, 120_000);
});

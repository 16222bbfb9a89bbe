import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { startDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';

interface EchoAnswer {
  version: string;
  slot: string;
  instance: number;
  pid: number;
  echo: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a WebSocket and remembers when it closed; it is terminated when the test ends. */
async function openSocket(url: string): Promise<{ ws: WebSocket; closed: Promise<{ at: number; code: number }> }> {
  const ws = new WebSocket(url, { handshakeTimeout: 5_000 });
  onTestFinished(() => {
    ws.terminate();
  });
  // Errors surface through 'close'; without a listener they would be thrown.
  ws.on('error', () => {});
  const closed = new Promise<{ at: number; code: number }>((resolve) => ws.once('close', (code) => resolve({ at: Date.now(), code })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade answered HTTP ${res.statusCode}`)));
    void closed.then(({ code }) => reject(new Error(`WebSocket closed (${code}) before it opened`)));
  });
  return { ws, closed };
}

/** Sends one text frame and waits (bounded) for the echo. */
function ask(ws: WebSocket, text: string, timeoutMs = 5_000): Promise<EchoAnswer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`no WebSocket answer to ${JSON.stringify(text)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (data: Buffer) => {
      clearTimeout(timer);
      resolve(JSON.parse(data.toString('utf8')) as EchoAnswer);
    };
    ws.once('message', onMessage);
    ws.send(text, (err) => {
      if (err) {
        clearTimeout(timer);
        ws.off('message', onMessage);
        reject(err);
      }
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(`${what} did not happen within ${ms} ms`)))]);
}

async function waitForState(daemon: TestDaemon, slot: 'a' | 'b', state: string, timeoutMs: number): Promise<void> {
  await eventually(async () => expect((await daemon.status()).slots[slot].state, `slot ${slot}; daemon output:\n${daemon.output()}`).toBe(state), timeoutMs);
}

describe('WebSockets through the proxy', () => {
  it('carries a WebSocket to the live slot, keeps one open on the old slot working after a flip, and closes it when the drain timeout passes', { timeout: 60_000 }, async () => {
    const drainTimeoutMs = 2_500;
    const daemon = await startDaemon({ drain: { graceMs: 0, idleMs: 100, timeoutMs: drainTimeoutMs, stopTimeoutMs: 2_000 } });
    const wsUrl = `${daemon.proxyUrl.replace(/^http/, 'ws')}/ws`;

    const old = await openSocket(wsUrl);
    const first = await ask(old.ws, 'hello through the proxy');
    expect(first).toMatchObject({ echo: 'hello through the proxy', slot: 'a', version: '1.0.0' });
    const before = await daemon.status();
    expect(before.live).toBe('a');
    const oldInstances = before.slots.a.instances as unknown as { webSockets: number }[];
    expect(oldInstances.reduce((n, i) => n + i.webSockets, 0)).toBe(1);

    let closedAt: number | null = null;
    void old.closed.then(({ at }) => (closedAt = at));

    const deploy = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0', '--json'], 60_000);
    const returnedAt = Date.now();
    expect(deploy.code, deploy.stderr + deploy.stdout).toBe(0);
    const result = JSON.parse(deploy.stdout) as { ok: boolean; steps: { step: string; phase: string; at: string }[] };
    expect(result.ok).toBe(true);
    const flipStep = result.steps.find((s) => s.step === 'flip' && s.phase === 'end');
    expect(flipStep, `deploy steps: ${JSON.stringify(result.steps)}`).toBeDefined();
    const flippedAt = Date.parse(flipStep!.at);
    expect(flippedAt).toBeLessThanOrEqual(returnedAt);

    // Right after the flip: b is live, a is draining (held open by the WebSocket, even though idleMs is only 100).
    const after = await daemon.status();
    expect(after.live).toBe('b');
    expect(after.slots.a.state).toBe('draining');
    expect(closedAt).toBeNull();

    // The old WebSocket still talks to the old release; a new one lands on the new release.
    const stillOld = await ask(old.ws, 'still there?');
    expect(stillOld).toMatchObject({ echo: 'still there?', slot: 'a', version: '1.0.0', pid: first.pid });
    const fresh = await openSocket(wsUrl);
    const second = await ask(fresh.ws, 'hello new release');
    expect(second).toMatchObject({ echo: 'hello new release', slot: 'b', version: '1.1.0' });

    // Well past the idle time but before the drain timeout, the old slot still drains and its socket still works:
    // the daemon's own drain clock says when 1.2 s of draining have passed.
    await eventually(async () => {
      const a = (await daemon.status()).slots.a as unknown as { state: string; drain: { timeoutMs: number; timeLeftMs: number; idleMs: number } | null };
      expect(a.state).toBe('draining');
      expect(a.drain!.timeoutMs - a.drain!.timeLeftMs).toBeGreaterThanOrEqual(1_200);
      expect(a.drain!.idleMs, 'the open WebSocket keeps the slot busy').toBeLessThan(1_000);
    }, 10_000);
    expect(closedAt).toBeNull();
    expect(await ask(old.ws, 'a second later')).toMatchObject({ slot: 'a', version: '1.0.0' });

    // At the drain timeout the old slot's WebSocket is closed by the proxy.
    const { at } = await withTimeout(old.closed, 10_000, 'the old WebSocket closing');
    const afterFlipMs = at - flippedAt;
    expect(afterFlipMs, `closed ${afterFlipMs} ms after the flip`).toBeGreaterThanOrEqual(2_000);
    expect(afterFlipMs, `closed ${afterFlipMs} ms after the flip`).toBeLessThanOrEqual(10_000);

    console.log(`websocket: the old slot's WebSocket closed ${afterFlipMs} ms after the flip (drain.timeoutMs ${drainTimeoutMs})`);

    await waitForState(daemon, 'a', 'stopped', 8_000);
    const end = await daemon.status();
    expect(end.live).toBe('b');
    expect(end.slots.a.state).toBe('stopped');

    // The WebSocket on the live slot was not touched by the old slot's stop.
    expect(fresh.ws.readyState).toBe(WebSocket.OPEN);
    expect(await ask(fresh.ws, 'after the drain')).toMatchObject({ echo: 'after the drain', slot: 'b', version: '1.1.0', pid: second.pid });
    fresh.ws.close();
    await withTimeout(fresh.closed, 5_000, 'the new WebSocket closing cleanly');
  });
});

import { describe, expect, it } from 'vitest';
import { isAlive, makeRelease, startDaemon } from '../helpers/test-daemon.js';
import { failures, startLoad, whenAnswered } from '../helpers/load.js';

const EXITS_AT_ONCE = "console.error('boom: missing DATABASE_URL pid=' + process.pid); process.exit(3);";
const NEVER_HEALTHY = "console.error('starting slowly pid=' + process.pid); require('node:http').createServer((q, s) => { s.statusCode = 500; s.end('not ready'); }).listen(Number(process.env.PORT), '127.0.0.1');";

const cases = [
  { name: 'exits at once', script: EXITS_AT_ONCE, logLine: /boom: missing DATABASE_URL/ },
  { name: 'never answers /health with 2xx', script: NEVER_HEALTHY, logLine: /starting slowly/ },
];

describe('a release that fails its health check', () => {
  for (const c of cases) {
    it(`keeps serving v1 while a release that ${c.name} fails, with its last log lines and exit 1`, { timeout: 60_000 }, async () => {
      const daemon = await startDaemon({ health: { intervalMs: 50, timeoutMs: 2_000 } });
      const release = await makeRelease(daemon.dir, 'broken', { version: '1.1.0', start: ['node', '-e', c.script] });
      let stop = false;
      const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 20, stop: () => stop, maxMs: 30_000 });
      const result = await daemon.cli(['deploy', release]);
      // v1 goes on serving after the failed deploy returned.
      await whenAnswered(load, 50, Date.now());
      stop = true;
      const outcomes = await load.done;

      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/FAIL health/);
      expect(result.stderr).toMatch(/failed its health check/);
      expect(result.stderr).toMatch(c.logLine);
      expect(failures(outcomes)).toEqual([]);
      expect(outcomes.length).toBeGreaterThan(50);
      expect(new Set(outcomes.map((o) => o.version))).toEqual(new Set(['1.0.0']));

      const status = await daemon.status();
      expect(status.live).toBe('a');
      expect(status.slots.a.version).toBe('1.0.0');
      expect(status.slots.b.state).toBe('failed');
      expect(status.slots.b.total).toBe(0);
      const pid = Number(/pid=(\d+)/.exec(result.stderr)?.[1]);
      expect(pid).toBeGreaterThan(0);
      expect(isAlive(pid)).toBe(false);
    });
  }

  it('reports a start command that does not exist, and a later good deploy still works', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon();
    const release = await makeRelease(daemon.dir, 'missing-command', { version: '1.1.0', start: ['./no-such-server'] });
    const result = await daemon.cli(['deploy', release]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/start command "\.\/no-such-server" was not found/);
    const good = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0']);
    expect(good.code, good.stderr).toBe(0);
    expect((await daemon.status()).slots.b.version).toBe('1.1.0');
  });
});

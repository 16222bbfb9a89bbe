import { describe, expect, it } from 'vitest';
import { startDaemon } from '../helpers/test-daemon.js';
import { failures, startLoad, whenAnswered } from '../helpers/load.js';

describe('zero downtime', () => {
  it('answers every request of 50 keep-alive clients with 200 through 10 consecutive deploys', { timeout: 180_000 }, async () => {
    const daemon = await startDaemon();
    let stop = false;
    const load = startLoad({ baseUrl: daemon.proxyUrl, clients: 50, stop: () => stop, maxMs: 150_000, kinds: ['get', 'post', 'get', 'slow'] });
    await whenAnswered(load, 100);
    const finished: { version: string; at: number }[] = [];
    try {
      for (let i = 1; i <= 10; i++) {
        const version = `1.${i}.0`;
        const result = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', version, '--wait-drain'], 60_000);
        expect(result.code, result.stderr + result.stdout).toBe(0);
        expect(result.stdout).toMatch(/ok\s+flip/);
        expect(result.stdout).toMatch(/ok\s+stop/);
        const at = Date.now();
        finished.push({ version, at });
        // Each version serves some traffic on its own before the next deploy.
        await whenAnswered(load, 50, at);
      }
    } finally {
      stop = true;
    }
    const outcomes = await load.done;
    expect(failures(outcomes)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(1000);
    const minor = (version: string | null) => Number(version?.split('.')[1] ?? -1);
    const versions = new Set(outcomes.map((o) => o.version));
    for (let i = 0; i <= 10; i++) expect(versions.has(`1.${i}.0`)).toBe(true);
    // Once a deploy has returned (old slot drained and stopped), no request that starts later sees an older version.
    for (const { version, at } of finished) {
      expect(outcomes.filter((o) => o.start > at && minor(o.version) < minor(version))).toEqual([]);
    }
    // Each client sends one request at a time, so the versions it sees only ever go up.
    for (let c = 0; c < 50; c++) {
      const seen = outcomes.filter((o) => o.client === c).sort((x, y) => x.start - y.start).map((o) => minor(o.version));
      expect(seen.filter((v, i) => i > 0 && v < seen[i - 1]!)).toEqual([]);
    }
    // Slow requests really were in flight across flips.
    const slowAcross = outcomes.filter((o) => o.kind === 'slow' && finished.some(({ at }) => o.start < at && o.end > at - 50));
    expect(slowAcross.length).toBeGreaterThan(0);
    console.log(`zero-downtime: ${outcomes.length} requests (${outcomes.filter((o) => o.kind === 'post').length} POST, ${slowAcross.length} slow ones across a flip), 10 deploys, ${failures(outcomes).length} failed`);
  });
});

import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CappedLog } from '../../src/slots/capped-log.js';
import { eventually } from '../helpers/eventually.js';

describe('an instance log', () => {
  it('stays under its size cap by rotating into one .1 file, and remembers the last lines', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-log-'));
    const file = path.join(dir, 'a-1.log');
    const log = new CappedLog(file, 10_000);
    for (let i = 0; i < 500; i++) log.write(Buffer.from(`line ${i} ${'x'.repeat(80)}\n`));
    await eventually(async () => {
      expect((await stat(`${file}.1`)).size).toBeGreaterThan(0);
    });
    await log.close();
    // Each file holds at most the cap plus the one write that crossed it.
    expect((await stat(file)).size).toBeLessThan(10_000 + 100);
    expect((await stat(`${file}.1`)).size).toBeLessThan(10_000 + 100);
    expect(await readFile(file, 'utf8')).toContain('line 499 ');
    expect(log.tail(2)).toEqual([`line 498 ${'x'.repeat(80)}`, `line 499 ${'x'.repeat(80)}`]);
  });
});

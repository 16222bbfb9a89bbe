import { closeSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InstanceLog } from '../../src/slots/instance-log.js';
import { parseStartTime } from '../../src/slots/process-group.js';

async function freshLog(maxBytes: number): Promise<InstanceLog> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slotswap-log-'));
  return new InstanceLog(path.join(dir, 'a-1.log'), maxBytes);
}

describe('an instance log file', () => {
  it('is cut to its cap by copy-truncate while the instance keeps its descriptor, with no hole after the cut', async () => {
    const log = await freshLog(10_000);
    const fd = await log.openForChild();
    for (let i = 0; i < 200; i++) writeSync(fd, `line ${i} ${'x'.repeat(80)}\n`);
    expect(await log.rotateIfOver()).toBe(true);
    expect((await stat(`${log.file}.1`)).size).toBeGreaterThan(10_000);
    expect(await readFile(`${log.file}.1`, 'utf8')).toContain('line 199 ');
    // The same descriptor writes on: O_APPEND puts it at the new end (0), not at its old offset.
    writeSync(fd, 'after the cut\n');
    closeSync(fd);
    expect(await readFile(log.file, 'utf8')).toBe('after the cut\n');
    expect(await log.rotateIfOver()).toBe(false);
    await log.close();
  });

  it('reads its tail from the file, after the last start mark, with the daemon notes among the app lines', async () => {
    const log = await freshLog(1_000_000);
    await log.note('starting on port 4000: node server.mjs');
    const first = await log.openForChild();
    writeSync(first, 'run one\n');
    closeSync(first);
    await log.note('starting on port 4000: node server.mjs');
    const second = await log.openForChild();
    writeSync(second, 'run two: a\nrun two: b\n');
    closeSync(second);
    await log.note('exited with code 1');
    expect(await log.tail()).toEqual(['run two: a', 'run two: b', expect.stringMatching(/^\[slotswap .*\] exited with code 1$/)]);
    expect(await log.tail(2)).toEqual(['run two: b', expect.stringMatching(/exited with code 1$/)]);
    await log.close();
  });

  it('is empty for a file that does not exist yet', async () => {
    expect(await (await freshLog(100)).tail()).toEqual([]);
  });
});

describe('a process start time from /proc/<pid>/stat', () => {
  it('is field 22, counted after the command name even when that holds spaces and parentheses', () => {
    const fields = ['S', '1', '4200', '4200', '0', '-1', '4194560', '120', '0', '0', '0', '3', '1', '0', '0', '20', '0', '1', '0', '987654', '1000'];
    expect(parseStartTime(`4242 (my (odd) name) ${fields.join(' ')}`)).toBe(987654);
    expect(parseStartTime('4242 (x) S 1')).toBeNull();
  });
});

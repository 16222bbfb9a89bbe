import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the Node flags the daemon runs with', () => {
  it('are the same for npm start and for the slotswap command (the bin\'s shebang)', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string }; bin: { slotswap: string } };
    const fromStart = pkg.scripts.start.split(/\s+/).filter((w) => w.startsWith('--'));
    const shebang = (await readFile(path.join(ROOT, 'src/cli/main.ts'), 'utf8')).split('\n')[0]!;
    expect(shebang).toMatch(/^#!\/usr\/bin\/env -S node /);
    expect(shebang.split(/\s+/).filter((w) => w.startsWith('--'))).toEqual(fromStart);
    expect(fromStart).toContain('--max-semi-space-size=4');
    expect(pkg.bin.slotswap).toBe('dist/cli/main.js');
  });
});

import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject } from '../helpers/test-daemon.js';
import { runCli } from '../helpers/cli.js';

const cases = [
  { name: 'a truncated file', content: '{"schemaVersion": 1, "live": "a", "slo', message: /cannot be read/ },
  { name: 'an empty file', content: '', message: /cannot be read/ },
  { name: 'a file of another shape', content: '{"schemaVersion": 1, "live": "c", "slots": {}, "history": [], "audit": []}', message: /"live": expected "a", "b" or null, got "c"/ },
  { name: 'a file from a future slotswap', content: '{"schemaVersion": 99}', message: /written by a newer slotswap/ },
];

describe('the state file', () => {
  for (const c of cases) {
    it(`stops the daemon with exit 2 and leaves ${c.name} untouched`, async () => {
      const project = await makeProject();
      const stateFile = path.join(project.dir, 'state/slotswap.json');
      await mkdir(path.dirname(stateFile), { recursive: true });
      await writeFile(stateFile, c.content);
      const result = await runCli(['start', '--config', project.configFile], { timeoutMs: 20_000 });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(stateFile);
      expect(result.stderr).toMatch(c.message);
      expect(result.stderr).toMatch(/left untouched/);
      expect(await readFile(stateFile, 'utf8')).toBe(c.content);
    });
  }
});

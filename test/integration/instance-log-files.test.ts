// An instance writes its own log file; the daemon keeps it under the cap by copy-truncate while the instance writes on.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRelease, startDaemon } from '../helpers/test-daemon.js';
import { eventually } from '../helpers/eventually.js';
import { request } from '../helpers/http-client.js';

const CAP = 5 * 1024 * 1024;

/** The sample API plus about 2 MB/s of numbered lines on stdout, stopped after `total` lines. */
const CHATTY = `import './server.mjs';
let n = 0;
const total = 4000;
const timer = setInterval(() => { for (let i = 0; i < 10 && n < total; i++) process.stdout.write(\`line \${n++} \${'y'.repeat(2000)}\\n\`); if (n >= total) { clearInterval(timer); console.log('chatty done'); } }, 10);
`;

describe('instance log files', () => {
  it('are cut to the cap by copy-truncate while the instance keeps writing, and slotswap logs shows the newest lines', { timeout: 120_000 }, async () => {
    const daemon = await startDaemon();
    const release = await makeRelease(daemon.dir, 'chatty', { version: '1.1.0', start: ['node', 'chatty.mjs'] }, { 'chatty.mjs': CHATTY });
    const deployed = await daemon.cli(['deploy', release], 90_000);
    expect(deployed.code, deployed.stderr).toBe(0);
    const file = path.join(daemon.dir, 'state/logs/b-1.log');
    await eventually(async () => expect(await readFile(file, 'utf8')).toContain('chatty done'), 60_000);
    const rotated = await stat(`${file}.1`);
    expect(rotated.size).toBeGreaterThan(CAP);
    // 8 MB were written in all: the current file holds only what came after the cut, with no hole of zeros at its start.
    const current = await readFile(file);
    expect(current.length).toBeLessThan(CAP);
    expect(current.subarray(0, 64).includes(0)).toBe(false);
    const logs = await daemon.cli(['logs', 'b', '--lines', '2']);
    expect(logs.stdout).toMatch(/\[b-1\] chatty done/);
    expect((await request(`${daemon.proxyUrl}/`)).status).toBe(200);
  });
});

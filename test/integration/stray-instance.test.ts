// A daemon killed between spawning an instance and recording its pid leaves a process nobody lists: the next start
// finds it by what only this daemon's instances have (the slot's folder, PORT and SLOTSWAP_SLOT) and stops it.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { makeProject, startDaemonIn } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';
import { isAlive } from '../helpers/test-daemon.js';

/** The processes whose environment says PORT=<port> and whose working directory is `dir`. */
async function processesOn(port: number, dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    if (cwd !== dir) continue;
    const env = (await readFile(`/proc/${name}/environ`, 'utf8').catch(() => '')).split('\0');
    if (env.includes(`PORT=${port}`)) found.push(Number(name));
  }
  return found;
}

describe('an instance started but never recorded by a daemon that died', () => {
  it('is stopped by the next start, which then serves, instead of failing on a port in use', { timeout: 90_000 }, async () => {
    const project = await makeProject();
    const port = (project.config.slots as { a: { port: number } }).a.port;
    const crashed = await startDaemonIn(project, { waitLive: false, env: { SLOTSWAP_TEST_CRASH_AT: 'start:after-spawn' } });
    await crashed.exited;
    // The bootstrap instance runs on, recorded nowhere: it answers on its port.
    await eventually(async () => expect((await request(`http://127.0.0.1:${port}/health`)).status).toBe(200), 20_000);
    const strays = await processesOn(port, `${project.dir}/sites/a`);
    expect(strays.length).toBeGreaterThan(0);

    const daemon = await startDaemonIn(project);
    // Before: "port ... for slot a instance 1 is already in use by another process" and nothing live.
    expect((await daemon.status()).live).toBe('a');
    expect(daemon.output()).toMatch(/stopped a stray instance of slot a .*left running by a previous daemon/);
    for (const pid of strays) expect(isAlive(pid)).toBe(false);
    const answer = await request(`${daemon.proxyUrl}/`);
    expect(answer.status).toBe(200);
    expect(strays).not.toContain(JSON.parse(answer.body).pid);
  });
});

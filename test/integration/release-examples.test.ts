// The example releases of docs/releases.md, deployed as a user would: straight from examples/ through the CLI.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, makeProject, startDaemonIn } from '../helpers/test-daemon.js';
import { request } from '../helpers/http-client.js';
import { eventually } from '../helpers/eventually.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

const examples = [
  { title: 'the Python example (stdlib http.server)', app: 'python-http', greeting: 'hello from Python', needs: ['python3', '--version'] },
  { title: 'the shell-wrapped binary example (start.sh execs bin/server)', app: 'shell-binary', greeting: 'hello from a shell-wrapped binary', needs: ['sh', '-c', 'exit 0'] },
];

describe('example releases', () => {
  for (const example of examples) {
    it(`${example.title} deploys through the CLI, answers GET / through the proxy, and drains and stops on the next version`, { timeout: 120_000 }, async () => {
      // Never a silent skip: the example's runtime must be on the machine.
      expect(spawnSync(example.needs[0]!, example.needs.slice(1)).status, `${example.needs[0]} is needed to run examples/${example.app}`).toBe(0);
      const folder = path.join(EXAMPLES, example.app);
      // The example is its own app: the config's app and bootstrap are the example, as docs/releases.md shows.
      const daemon = await startDaemonIn(await makeProject({ app: example.app, bootstrap: folder }));

      const first = await daemon.cli(['deploy', folder, '--version', '1.1.0', '--wait-drain'], 60_000);
      expect(first.code, first.stderr + first.stdout + daemon.output()).toBe(0);
      expect(first.stdout).toMatch(/ok\s+check .*minCompatibleVersion 1\.0\.0 \(from release\.json\)/);
      const answer = await request(`${daemon.proxyUrl}/`);
      expect(answer.status).toBe(200);
      expect(answer.headers['x-served-by-slot']).toBe('b');
      expect(answer.headers['x-app-version']).toBe('1.1.0');
      const body = JSON.parse(answer.body) as { message: string; version: string; pid: number };
      expect(body).toMatchObject({ message: example.greeting, version: '1.1.0' });
      // start.sh exec'd its program: the pid slotswap tracks is the server itself.
      const old = (await daemon.status()).slots.b.instances[0]!.pid!;
      expect(body.pid).toBe(old);

      const next = await daemon.cli(['deploy', folder, '--version', '1.2.0', '--wait-drain'], 60_000);
      expect(next.code, next.stderr + next.stdout + daemon.output()).toBe(0);
      expect(next.stdout).toContain('slot b drained and stopped');
      const after = await request(`${daemon.proxyUrl}/`);
      expect(after.status).toBe(200);
      expect(after.headers['x-served-by-slot']).toBe('a');
      expect(JSON.parse(after.body)).toMatchObject({ version: '1.2.0' });
      expect((await daemon.status()).slots.b.state).toBe('stopped');
      await eventually(() => expect(isAlive(old), `the old ${example.app} pid ${old} still runs after its slot stopped`).toBe(false));
      // It stopped on SIGTERM by itself, within drain.stopTimeoutMs: no SIGKILL was needed.
      const logs = await daemon.cli(['logs', 'b', '--lines', '50']);
      expect(logs.code, logs.stderr).toBe(0);
      expect(logs.stdout).toMatch(/listening on 127\.0\.0\.1/);
      expect(logs.stdout).not.toMatch(/SIGKILL/);
    });
  }
});

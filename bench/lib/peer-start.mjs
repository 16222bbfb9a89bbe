// Waiting for a peer proxy the bench started to answer /health through it, with its output in the error when it does not.
import { httpRequest } from './daemon.mjs';
import { sleep } from './processes.mjs';

/** @param {string} name @param {{ child: import('node:child_process').ChildProcess, output: () => string, stop: (ms: number) => Promise<unknown> }} proc @param {string} url */
export async function waitServing(name, proc, url, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await httpRequest(`${url}/health`, { timeoutMs: 2_000 }).then((a) => a.status === 200, () => false);
    if (ok) return;
    if (proc.child.exitCode !== null || Date.now() > until) {
      await proc.stop(2_000);
      throw new Error(`${name} did not start: ${proc.output()}`);
    }
    await sleep(25);
  }
}

// Chapter 5 of the story: a second daemon runs a server executable in hotswap mode, and a new build is swapped in under load.
import path from 'node:path';
import { mustRun } from './cli.mjs';
import { Daemon } from './daemon-process.mjs';
import { Load } from './load.mjs';
import { chapter, say } from './output.mjs';
import { buildExe, makeHotswapProject } from './projects.mjs';
import { get } from './probes.mjs';
import { expect, reportLoad } from './story-checks.mjs';

const NEW_VERSION = '1.1.0';
const NEW_STARTUP_MS = 250;

/** @param {import('./demo.mjs').Context} ctx */
export async function hotswapStory(ctx) {
  chapter('5. hotswap: replace a running server executable in place (the Web Connection "Update Exe")');
  const project = await makeHotswapProject(ctx.root);
  say(`second daemon, "mode": "hotswap": deploy/server (the sample executable, 1.0.0) on 2 instances; project folder ${project.dir}`);
  const daemon = new Daemon(project);
  ctx.daemons.push(daemon);
  await daemon.start();
  const load = new Load('hotswap', project.proxyUrl, ctx.clients, { thinkMs: ctx.thinkMs, bySlot: false }).start();
  ctx.loads.push(load);
  say(`steady load on it too: ${ctx.clients} keep-alive clients on ${project.proxyUrl}/`);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  reportLoad(ctx, load);

  const exe = await buildExe(project, NEW_VERSION, NEW_STARTUP_MS);
  say(`a new build: ${path.relative(project.dir, exe)} (its VERSION line says '${NEW_VERSION}'; it takes ${NEW_STARTUP_MS} ms to start, so the hold has work to do)`);
  const swap = await mustRun(project, ['hotswap', exe]);
  const held = Number(/held:\s+(\d+(?:\.\d+)?) ms/.exec(swap.stdout)?.[1] ?? NaN);
  const queued = Number(/(\d+) request\(s\) queued/.exec(swap.stdout)?.[1] ?? NaN);
  expect(ctx, /Exe Updated/.test(swap.stdout) && new RegExp(`version:\\s+${NEW_VERSION.replaceAll('.', '\\.')}`).test(swap.stdout), `"Exe Updated", reporting version ${NEW_VERSION}`, `the hotswap answer does not say "Exe Updated" with version ${NEW_VERSION}`);
  if (Number.isFinite(held)) ctx.holds.push({ what: `hotswap to ${NEW_VERSION}`, ms: held, queued });
  const answer = await get(project.proxyUrl, '/');
  expect(ctx, answer.status === 200 && answer.json?.version === NEW_VERSION, `GET / now answers ${NEW_VERSION} (pid ${answer.json?.pid})`, `GET / answers ${answer.status} ${answer.text.slice(0, 100)}`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  reportLoad(ctx, load);
  return { project, daemon };
}

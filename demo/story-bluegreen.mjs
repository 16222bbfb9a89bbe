// Chapters 1-4 of the story: a blue/green daemon under steady load through two deploys, an old client, and a rollback.
import path from 'node:path';
import { mustRun } from './cli.mjs';
import { Daemon } from './daemon-process.mjs';
import { Load } from './load.mjs';
import { chapter, say } from './output.mjs';
import { DRAIN_GRACE_MS, makeBlueGreenProject } from './projects.mjs';
import { askAs, clientAsks, printAnswer, showManifest } from './probes.mjs';
import { expect, reportLoad } from './story-checks.mjs';

const NOTICE = 'Version 2.0.0 is out: please update';

/** Live drain progress of a slot, from GET /api/status, until it has stopped. */
async function watchDrain(daemon, slot) {
  let lastLine = 0;
  await daemon.waitFor(`slot ${slot} to drain and stop`, (s) => {
    const { state, drain } = s.slots[slot];
    if (drain && Date.now() - lastLine >= 400) {
      lastLine = Date.now();
      const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;
      say(`slot ${slot} ${state}: ${drain.inFlight} in flight, idle ${sec(drain.idleMs)}, grace left ${sec(drain.graceLeftMs)}, stops at the latest in ${sec(drain.timeLeftMs)}`);
    }
    return state === 'stopped';
  });
}

/** @param {import('./demo.mjs').Context} ctx */
export async function blueGreenStory(ctx) {
  chapter('1. start a blue/green daemon with the sample API (bootstrap 1.0.0 into slot a)');
  const project = await makeBlueGreenProject(ctx.root);
  say(`project folder ${project.dir}`);
  const daemon = new Daemon(project);
  ctx.daemons.push(daemon);
  await daemon.start();
  const load = new Load('blue/green', project.proxyUrl, ctx.clients, { thinkMs: ctx.thinkMs }).start();
  ctx.loads.push(load);
  say(`steady load: ${ctx.clients} keep-alive clients on ${project.proxyUrl}/, each sending its next request ${ctx.thinkMs} ms after the last answer`);
  await mustRun(project, ['status']);
  const release = path.join(project.dir, 'sites/sample-api');

  chapter('2. deploy 1.1.0 into the idle slot, flip, and wait for the old slot to drain');
  await mustRun(project, ['deploy', release, '--version', '1.1.0', '--wait-drain']);
  say('a client app still on 1.0.0 is compatible (1.1.0 needs 1.0.0 or later): served, with a soft notice that 1.1.0 is out');
  const soft = await clientAsks(project.proxyUrl, '1.0.0');
  expect(ctx, soft.status === 200 && soft.upgradeAvailable === '1.1.0', 'the 1.0.0 client was served and told 1.1.0 is available', `the 1.0.0 client got ${soft.status}, X-Upgrade-Available ${soft.upgradeAvailable}`);
  reportLoad(ctx, load);

  chapter('3. deploy 2.0.0, which 1.x clients cannot talk to (--min-compatible 2.0.0)');
  await mustRun(project, ['notice', 'set', NOTICE, '--mandatory']);
  const before = await daemon.status();
  const oldSlot = before.live;
  // Ask as soon as the flip is reported, well inside the drain's grace period; print once the deploy has returned.
  let duringDrain = null;
  const onLine = (line) => {
    if (!duringDrain && /^\s*ok\s+flip\b/.test(line)) {
      duringDrain = Promise.all([askAs(project.proxyUrl, '1.1.0'), askAs(project.proxyUrl, '2.0.0')]);
      duringDrain.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
    }
  };
  await mustRun(project, ['deploy', release, '--version', '2.0.0', '--min-compatible', '2.0.0'], { onLine });
  const flippedAt = Date.now();
  const newSlot = (await daemon.status()).live;
  say(`slot ${oldSlot} (1.1.0) drains for ${DRAIN_GRACE_MS / 1000} s at least: an old client is still served there, side by side with 2.0.0`);
  const [oldDuringDrain, newClient] = (await (duringDrain ?? Promise.all([askAs(project.proxyUrl, '1.1.0'), askAs(project.proxyUrl, '2.0.0')]))).map(printAnswer);
  expect(ctx, oldDuringDrain.status === 200 && oldDuringDrain.slot === oldSlot, `the 1.1.0 client was served by the draining slot ${oldSlot}`, `the 1.1.0 client got ${oldDuringDrain.status} from slot ${oldDuringDrain.slot}, not 200 from the draining slot ${oldSlot}`);
  expect(ctx, newClient.status === 200 && newClient.slot === newSlot, `the 2.0.0 client was served by the live slot ${newSlot}`, `the 2.0.0 client got ${newClient.status} from slot ${newClient.slot}`);
  await watchDrain(daemon, oldSlot);
  say(`slot ${oldSlot} drained and stopped (${((Date.now() - flippedAt) / 1000).toFixed(1)} s after the deploy returned); now the old client must upgrade:`);
  const oldAfterDrain = await clientAsks(project.proxyUrl, '1.1.0');
  const newAfterDrain = await clientAsks(project.proxyUrl, '2.0.0');
  expect(ctx, oldAfterDrain.status === 426 && oldAfterDrain.json?.error === 'upgrade_required' && oldAfterDrain.json?.notice?.message === NOTICE, 'the 1.1.0 client got 426 upgrade_required with the notice', `the 1.1.0 client got ${oldAfterDrain.status} ${JSON.stringify(oldAfterDrain.json)}, not 426 with the notice`);
  expect(ctx, newAfterDrain.status === 200 && newAfterDrain.slot === newSlot, `the 2.0.0 client is served by slot ${newSlot}`, `the 2.0.0 client got ${newAfterDrain.status} from slot ${newAfterDrain.slot}`);
  say('what a client app reads at start-up:');
  const manifest = await showManifest(project.proxyUrl);
  expect(ctx, manifest?.version === '2.0.0' && manifest?.slot === newSlot, `AppRun.json names 2.0.0 in slot ${newSlot}`, `AppRun.json names ${manifest?.version} in slot ${manifest?.slot}`);
  reportLoad(ctx, load);

  chapter('4. roll back to 1.1.0');
  const rollback = await mustRun(project, ['rollback']);
  const mode = /instant flip/.test(rollback.stdout) ? 'flip' : /redeployed/.test(rollback.stdout) ? 'redeploy' : 'unknown';
  say(
    mode === 'redeploy'
      ? `mode: redeploy (slot ${oldSlot} had drained and stopped, so 1.1.0 came back from its kept archive, health-checked, then flipped)`
      : mode === 'flip'
        ? `mode: instant flip (slot ${oldSlot} still ran)`
        : 'mode: not recognised in the CLI output',
  );
  await daemon.waitFor('the rollback to be recorded', (s) => !s.operation);
  say('1.1.0 is live again, so the 2.0.0 notice goes:');
  await mustRun(project, ['notice', 'clear']);
  await mustRun(project, ['status']);
  reportLoad(ctx, load);
  return { project, daemon };
}

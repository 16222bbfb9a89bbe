// The admin page in a real browser (Debian's Chromium through playwright-core), against a blue/green daemon and a
// hotswap daemon: token, live slots, each mode's own controls, a deploy with its steps live, the notice, a failed
// history row, the favicon, no overflow at 420 px, and screenshots at 1280 and 420 px under test-results/screenshots/.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { packRelease } from '../../src/release/pack-release.js';
import { buildExe, startHotswapDaemon } from '../helpers/hotswap-project.js';
import { makeRelease, startDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');
const WIDE = 1280;
const NARROW = 420;

// The functions passed to page.evaluate run in the browser; the test project has no DOM lib, so declare what they use.
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  id: string;
  className: string;
  scrollWidth: number;
  clientWidth: number;
  hidden: boolean;
  querySelector(selector: string): PageElement | null;
}
declare const document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): PageElement[]; documentElement: PageElement };
declare const sessionStorage: { getItem(key: string): string | null };
declare const window: Record<string, unknown> & { innerWidth: number };

// Under CI the browser test must run: a missing Chromium fails it there. Elsewhere it skips, and says why.
const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.warn(`admin page browser test skipped: ${CHROMIUM} not found (apt-get install chromium); under CI it runs and fails instead`);

async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the admin page browser test needs Debian's chromium package (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

interface OpenPage {
  page: Page;
  /** Every response the page got with status 400 or more (the favicon's 404 would be one). */
  failedResponses: string[];
  pageErrors: string[];
  dialogs: string[];
}

/** A browser page at 1280 px; confirm dialogs are accepted and recorded; a failed test leaves a screenshot. */
async function openPage(name: string): Promise<OpenPage> {
  const browser = await launch();
  onTestFinished(() => browser.close());
  const context = await browser.newContext({ viewport: { width: WIDE, height: 900 } });
  const page = await context.newPage();
  onTestFinished(async ({ task }) => {
    if (task.result?.state === 'fail' && !page.isClosed()) {
      await mkdir(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-failure.png`), fullPage: true }).catch(() => {});
    }
  });
  const opened: OpenPage = { page, failedResponses: [], pageErrors: [], dialogs: [] };
  page.on('pageerror', (err) => opened.pageErrors.push(err.message));
  page.on('response', (res) => {
    if (res.status() >= 400) opened.failedResponses.push(`${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`);
  });
  page.on('dialog', (dialog) => {
    opened.dialogs.push(dialog.message());
    void dialog.accept();
  });
  return opened;
}

async function signIn(page: Page, daemon: TestDaemon): Promise<void> {
  await page.goto(daemon.adminUrl);
  await page.waitForSelector('#token-input', { state: 'visible' });
  await page.fill('#token-input', daemon.token);
  await page.click('#token-submit');
  await page.waitForSelector('#main', { state: 'visible' });
  await page.waitForFunction(() => document.querySelector('#conn')?.dataset.connected === 'true', undefined, { timeout: 10_000 });
}

/** What the page shows for a slot, for assertions and for failure messages. */
async function slotView(page: Page, slot: 'a' | 'b') {
  return page.evaluate((s) => {
    const card = document.querySelector(`[data-slot="${s}"]`);
    if (!card) return null;
    return {
      hidden: card.hidden,
      state: card.dataset.state ?? null,
      live: card.dataset.live === 'true',
      version: card.dataset.version ?? null,
      liveMark: card.querySelector('[data-role="live"]')?.textContent ?? null,
      shownVersion: card.querySelector('[data-role="version"]')?.textContent ?? null,
      shownState: card.querySelector('[data-role="state"]')?.textContent ?? null,
    };
  }, slot);
}

/** Waits until the page shows `slot` live with `version`, without reloading; stops early on an error the page shows. */
async function waitLive(page: Page, slot: 'a' | 'b', version: string, timeoutMs = 15_000): Promise<void> {
  const failure = async (why: string) => {
    const shown = { a: await slotView(page, 'a'), b: await slotView(page, 'b') };
    return new Error(`the page did not show slot ${slot} live with ${version}: ${why}; the slots show ${JSON.stringify(shown)}`);
  };
  let outcome: string;
  try {
    const handle = await page.waitForFunction(
      ([s, v]) => {
        const card = document.querySelector(`[data-slot="${s}"]`);
        if (card?.dataset.live === 'true' && card.dataset.state === 'live' && card.dataset.version === v) return 'ok';
        const message = document.querySelector('#message.error:not([hidden]) #message-text');
        return message ? `error: ${message.textContent}` : false;
      },
      [slot, version] as const,
      { timeout: timeoutMs, polling: 100 },
    );
    outcome = String(await handle.jsonValue());
  } catch {
    throw await failure(`nothing within ${timeoutMs} ms`);
  }
  if (outcome !== 'ok') throw await failure(`the page shows ${JSON.stringify(outcome)}`);
}

/** The toolbar controls the page shows (visible), by id. */
async function visibleControls(page: Page): Promise<string[]> {
  const ids = ['btn-flip', 'btn-rollback', 'btn-drain', 'btn-hold', 'btn-deploy', 'btn-notice', 'btn-upload', 'btn-update'];
  const shown: string[] = [];
  for (const id of ids) if (await page.isVisible(`#${id}`)) shown.push(id);
  return shown;
}

/** Elements wider than the window or their own box at the current width (what a phone would have to scroll). */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > window.innerWidth) out.push(`page ${root.scrollWidth} px wide in a ${window.innerWidth} px window`);
    for (const el of document.querySelectorAll('.card, .toolbar, .message, .activity, .topbar')) {
      if (!el.hidden && el.scrollWidth > el.clientWidth + 1) out.push(`${el.id || el.className}: ${el.scrollWidth} px of content in ${el.clientWidth} px`);
    }
    return out;
  });
}

/** Inputs of the open panels whose placeholder is cut off, or that are not styled like the panel's text inputs. */
async function clippedInputs(page: Page): Promise<string[]> {
  // A string: it runs in the browser, and the test project has no DOM lib for canvas and computed styles.
  return page.evaluate(`(() => {
    const out = [];
    const ctx = document.createElement('canvas').getContext('2d');
    const reference = getComputedStyle(document.querySelector('#deploy-version'));
    for (const input of document.querySelectorAll('.panel:not([hidden]) input[placeholder]')) {
      const style = getComputedStyle(input);
      ctx.font = style.font;
      const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const needed = ctx.measureText(input.placeholder).width;
      if (needed > room) out.push(input.id + ': placeholder "' + input.placeholder + '" needs ' + Math.ceil(needed) + ' px in ' + Math.floor(room) + ' px');
      if (style.backgroundColor !== reference.backgroundColor) out.push(input.id + ': background ' + style.backgroundColor + ', where the panel inputs have ' + reference.backgroundColor);
    }
    return out;
  })()`);
}

/** Full-page screenshots at 1280 and 420 px (test artifacts); at 420 px nothing may stick out. */
async function screenshots(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.setViewportSize({ width: WIDE, height: 900 });
  expect(await overflowing(page)).toEqual([]);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${WIDE}.png`), fullPage: true });
  await page.setViewportSize({ width: NARROW, height: 900 });
  expect(await overflowing(page)).toEqual([]);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${NARROW}.png`), fullPage: true });
  await page.setViewportSize({ width: WIDE, height: 900 });
}

async function packTgz(folder: string): Promise<string> {
  const file = `${folder}.tgz`;
  await pipeline(packRelease(folder), createWriteStream(file));
  return file;
}

describe.skipIf(skip)('the admin page', () => {
  it('asks for the token, shows the live slot, follows a deploy and a rollback without reloading', { timeout: 120_000 }, async () => {
    // A long grace (and a drain deadline beyond it): the rollback right after the deploy is an instant flip back to
    // the still running slot a.
    const daemon = await startDaemon({ drain: { graceMs: 30_000, timeoutMs: 120_000 } });
    const { page, pageErrors, dialogs } = await openPage('rollback');

    // The page's own files are served without the token; it asks for the token once.
    await page.goto(daemon.adminUrl);
    await page.waitForSelector('#token-input', { state: 'visible' });
    expect(await page.isVisible('#main')).toBe(false);

    // A wrong token is refused and the form stays.
    await page.fill('#token-input', 'not-the-token');
    await page.click('#token-submit');
    await page.waitForSelector('#login-error', { state: 'visible' });
    expect(await page.textContent('#login-error')).toMatch(/refused this token/);
    expect(await page.evaluate(() => sessionStorage.getItem('slotswap.adminToken'))).toBeNull();

    await page.fill('#token-input', daemon.token);
    await page.click('#token-submit');
    await page.waitForSelector('#main', { state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.getItem('slotswap.adminToken'))).toBe(daemon.token);
    await waitLive(page, 'a', '1.0.0');
    expect(await slotView(page, 'a')).toMatchObject({ liveMark: 'LIVE', shownVersion: '1.0.0' });
    expect(await slotView(page, 'b')).toMatchObject({ liveMark: null, state: 'empty', shownState: 'empty' });
    await page.waitForFunction(() => document.querySelector('#conn')?.dataset.connected === 'true', undefined, { timeout: 10_000 });

    // A marker that a reload would wipe: every later check must happen in this same document.
    await page.evaluate(() => (window.__sameDocument = true));

    // Deploy 1.1.0 through the API (the CLI): the page follows /api/events and shows b live.
    const deployed = await daemon.cli(['deploy', `${daemon.dir}/sites/sample-api`, '--version', '1.1.0']);
    expect(deployed.code, deployed.stderr + deployed.stdout).toBe(0);
    await waitLive(page, 'b', '1.1.0');
    expect((await slotView(page, 'a'))?.state).toBe('draining');
    // The drain shows its hard deadline, and when the daemon reports it, when the slot actually stops once idle.
    await page.waitForSelector('[data-slot="a"] [data-role="drain-deadline"]', { timeout: 10_000 });
    expect(await page.textContent('[data-slot="a"] [data-role="drain-deadline"]')).toMatch(/^at the latest in \d/);
    const drain = ((await daemon.status()).slots.a as unknown as { drain: Record<string, unknown> | null }).drain;
    if (drain && 'earliestStopInMs' in drain) {
      expect(await page.textContent('[data-slot="a"] [data-role="drain-stops"]')).toMatch(/^stops once idle in \d/);
    }
    await screenshots(page, 'bluegreen-draining');
    await page.waitForFunction(() => document.querySelector('[data-role="manifest-version"]')?.textContent === '1.1.0', undefined, { timeout: 10_000 });
    await page.waitForFunction(() => /1\.0\.0 → 1\.1\.0/.test(document.querySelector('#history')?.textContent ?? ''), undefined, { timeout: 10_000 });

    // Rollback from the page, confirming the dialog: slot a (still draining, within the grace) is live again.
    await page.click('#btn-rollback');
    await waitLive(page, 'a', '1.0.0');
    expect(dialogs).toHaveLength(1);
    expect(dialogs[0]).toMatch(/rollback/i);
    // The status may show slot a live (from the event stream) a moment before the rollback's own answer arrives.
    await page.waitForSelector('#message:is(.ok, .error)', { timeout: 10_000 });
    expect(await page.getAttribute('#message', 'class')).toMatch(/\bok\b/);
    expect(await page.textContent('#message-text')).toBe('Rolled back to 1.0.0: slot A is live (instant flip).');
    await page.waitForFunction(() => document.querySelector('[data-role="manifest-version"]')?.textContent === '1.0.0', undefined, { timeout: 10_000 });
    expect((await daemon.status()).live).toBe('a');
    await page.waitForSelector('#history tr[data-op="rollback"]', { timeout: 10_000 });

    expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('in blue/green mode shows Deploy and Notice (not the hotswap buttons), deploys with live steps, and shows a failed row as log lines', { timeout: 150_000 }, async () => {
    const daemon = await startDaemon();
    const { page, failedResponses, pageErrors } = await openPage('bluegreen');
    await signIn(page, daemon);
    await waitLive(page, 'a', '1.0.0');

    // Only this mode's controls, and the favicon is served.
    expect(await visibleControls(page)).toEqual(['btn-flip', 'btn-rollback', 'btn-drain', 'btn-hold', 'btn-deploy', 'btn-notice']);
    const icon = await page.getAttribute('link[rel="icon"]', 'href');
    expect(icon, 'the page names a favicon').toBeTruthy();
    expect((await page.request.get(new URL(icon!, daemon.adminUrl).href)).status()).toBe(200);

    // Deploy a .tgz from the page, with version and min-compatible; the start-up is slow, so the steps are seen
    // arriving one by one while the deploy still runs.
    const slow = await makeRelease(daemon.dir, 'slow', { start: ['node', 'slow-start.mjs'] }, { 'slow-start.mjs': "await new Promise((r) => setTimeout(r, 1500));\nawait import('./server.mjs');\n" });
    await page.click('#btn-deploy');
    await page.waitForSelector('#deploy-panel', { state: 'visible' });
    // Every field shows its whole hint (what an empty field means), in the panel's own style.
    expect(await clippedInputs(page)).toEqual([]);
    await page.setInputFiles('#deploy-file', await packTgz(slow));
    await page.fill('#deploy-version', '1.1.0');
    await page.fill('#deploy-min', '1.0.0');
    await page.click('#deploy-submit');
    // While health is being waited for, place and start are done and no result is shown yet: the stream is read live.
    await page.waitForSelector('#deploy-steps [data-step="health"][data-phase="begin"]', { timeout: 15_000 });
    expect(await page.getAttribute('#deploy-steps [data-step="place"]', 'data-phase')).toBe('end');
    expect(await page.getAttribute('#deploy-steps [data-step="start"]', 'data-phase')).toBe('end');
    expect(await page.textContent('#deploy-result')).toBe('');
    await page.waitForSelector('#deploy-result[data-ok="true"]', { timeout: 20_000 });
    expect(await page.textContent('#deploy-result')).toMatch(/1\.1\.0 is live in slot B/);
    expect(await page.getAttribute('#deploy-steps [data-step="flip"]', 'data-phase')).toBe('end');
    await waitLive(page, 'b', '1.1.0');
    expect((await daemon.status()).slots.b).toMatchObject({ version: '1.1.0', minCompatibleVersion: '1.0.0' });

    // The notice: set from the page, seen in the manifest card; cleared again.
    await page.click('#btn-notice');
    await page.waitForSelector('#notice-panel', { state: 'visible' });
    await page.fill('#notice-message', 'Version 1.1.0 is out: please restart the app');
    await page.check('#notice-mandatory');
    await page.click('#notice-set');
    await page.waitForFunction(() => /please restart the app\s*mandatory/.test(document.querySelector('[data-role="manifest-notice"]')?.textContent ?? ''), undefined, { timeout: 10_000 });
    expect((await daemon.api('GET', '/api/status')).json.manifest).toMatchObject({ notice: { message: 'Version 1.1.0 is out: please restart the app', mandatory: true } });
    await screenshots(page, 'bluegreen');
    await page.click('#notice-clear');
    await page.waitForFunction(() => document.querySelector('[data-role="manifest-notice"]')?.textContent === 'none', undefined, { timeout: 10_000 });
    expect(((await daemon.api('GET', '/api/status')).json.manifest as { notice: unknown }).notice).toBeNull();

    // A release that fails its health check: the result says so, and the history row shows its log lines one per line.
    await page.waitForFunction(() => document.querySelector('[data-slot="a"]')?.dataset.state === 'stopped', undefined, { timeout: 20_000 });
    const broken = await makeRelease(daemon.dir, 'broken', { start: ['node', 'boom.mjs'] }, { 'boom.mjs': "console.log('starting up');\nconsole.error('boom: missing DB');\nprocess.exit(3);\n" });
    await page.click('#btn-deploy');
    await page.setInputFiles('#deploy-file', await packTgz(broken));
    await page.fill('#deploy-version', '1.2.0');
    await page.fill('#deploy-min', '');
    await page.click('#deploy-submit');
    await page.waitForSelector('#deploy-result[data-ok="false"]', { timeout: 30_000 });
    expect(await page.textContent('#deploy-result')).toMatch(/failed its health check/);
    const row = '#history tr[data-outcome="failed"]';
    await page.waitForSelector(`${row} pre.log`, { timeout: 10_000 });
    const lines = (await page.textContent(`${row} pre.log`))!.split('\n');
    expect(lines.some((l) => /boom: missing DB$/.test(l))).toBe(true);
    expect(lines.some((l) => /starting up$/.test(l))).toBe(true);
    expect(await page.textContent(`${row} .err`)).toMatch(/failed its health check/);
    expect(await page.textContent(`${row} .err`)).not.toMatch(/boom: missing DB/);

    await screenshots(page, 'bluegreen-failed');
    expect(failedResponses).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('in hotswap mode shows one slot, the hotswap buttons with hotswap tooltips, and Update Exe only while an upload waits', { timeout: 120_000 }, async () => {
    const daemon = await startHotswapDaemon();
    const { page, failedResponses, pageErrors, dialogs } = await openPage('hotswap');
    await signIn(page, daemon);
    await waitLive(page, 'a', '1.0.0');

    // One card: the running executable; no "EMPTY / no release" slot B.
    expect((await slotView(page, 'b'))?.hidden).toBe(true);
    expect(await page.isVisible('text=no release')).toBe(false);
    expect(await visibleControls(page)).toEqual(['btn-rollback', 'btn-hold', 'btn-notice', 'btn-upload', 'btn-update']);
    const rollbackTitle = (await page.getAttribute('#btn-rollback', 'title')) ?? '';
    expect(rollbackTitle).toMatch(/\.bak/);
    expect(rollbackTitle).not.toMatch(/flip|redeploy/i);

    // Update Exe waits for an upload, takes it, and is disabled again once it was used.
    expect(await page.isDisabled('#btn-update')).toBe(true);
    expect(await page.getAttribute('#btn-update', 'title')).toMatch(/upload/i);
    await page.setInputFiles('#exe-file', await buildExe(daemon.dir, 'server-1.1.0', { version: '1.1.0' }));
    await page.waitForSelector('#message.ok', { timeout: 15_000 });
    expect(await page.textContent('#message-text')).toMatch(/Press Update Exe/);
    await page.waitForSelector('#btn-update:not([disabled])', { timeout: 10_000 });
    await page.click('#btn-update');
    await waitLive(page, 'a', '1.1.0', 30_000);
    await page.waitForSelector('#message.ok', { timeout: 15_000 });
    expect(await page.textContent('#message-text')).toMatch(/Exe Updated · version 1\.1\.0/);
    expect(dialogs.some((d) => /Update Exe/.test(d))).toBe(true);
    await page.waitForSelector('#btn-update[disabled]', { timeout: 10_000 });
    expect(await page.getAttribute('#btn-update', 'title')).toMatch(/upload/i);
    await page.waitForSelector('#history tr[data-op="hotswap"]:not([data-outcome="running"])', { timeout: 10_000 });

    await screenshots(page, 'hotswap');
    expect(failedResponses).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

// The admin page's maintenance banner in a real browser (Debian's Chromium through playwright-core): it appears when
// `slotswap maintenance on` runs, with the message, and goes when `maintenance off` runs, without a reload.
import { existsSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const CHROMIUM = '/usr/bin/chromium';

interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  hidden: boolean;
}
declare const document: { querySelector(selector: string): PageElement | null };

const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.warn(`maintenance banner browser test skipped: ${CHROMIUM} not found (apt-get install chromium); under CI it runs and fails instead`);

async function signedIn(daemon: TestDaemon): Promise<Page> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  onTestFinished(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(daemon.adminUrl);
  await page.waitForSelector('#token-input', { state: 'visible' });
  await page.fill('#token-input', daemon.token);
  await page.click('#token-submit');
  await page.waitForSelector('#main', { state: 'visible' });
  await page.waitForFunction(() => document.querySelector('#conn')?.dataset.connected === 'true', undefined, { timeout: 10_000 });
  return page;
}

const banner = (page: Page) => page.evaluate(() => ({ hidden: document.querySelector('#maintenance-banner')?.hidden ?? null, text: document.querySelector('#maintenance-detail')?.textContent ?? null }));

describe.skipIf(skip)('admin page maintenance banner', () => {
  it('shows the banner with the message while maintenance is on, and hides it once off', { timeout: 90_000 }, async () => {
    const daemon = await startDaemon();
    const page = await signedIn(daemon);
    expect((await banner(page)).hidden).toBe(true);
    expect((await daemon.cli(['maintenance', 'on', '--message', 'Moving racks', '--retry-after', '45'])).code).toBe(0);
    await page.waitForFunction(() => document.querySelector('#maintenance-banner')?.hidden === false, undefined, { timeout: 10_000 });
    const shown = await banner(page);
    expect(shown.text).toContain('“Moving racks”');
    expect(shown.text).toContain('Retry-After 45 s');
    expect((await daemon.cli(['maintenance', 'off'])).code).toBe(0);
    await page.waitForFunction(() => document.querySelector('#maintenance-banner')?.hidden === true, undefined, { timeout: 10_000 });
  });
});

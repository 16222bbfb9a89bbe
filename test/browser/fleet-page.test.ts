// Issue 17: the admin page of a fleet node shows the fleet card (GET /api/fleet/status): each node's name, URL, live
// slot and version, ready and last heartbeat, and whether etcd is reachable; real Chromium, real etcd, one node.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startEtcdCluster, type EtcdCluster } from '../helpers/etcd-cluster.js';
import { startFleet } from '../helpers/fleet-nodes.js';
import type { TestDaemon } from '../helpers/test-daemon.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');

// The functions passed to page.evaluate run in the browser; the test project has no DOM lib.
interface PageElement {
  textContent: string | null;
  hidden: boolean;
  dataset: Record<string, string | undefined>;
  querySelectorAll(selector: string): PageElement[];
}
declare const document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): PageElement[] };

const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.warn(`fleet page browser test skipped: ${CHROMIUM} not found (apt-get install chromium); under CI it runs and fails instead`);

let cluster: EtcdCluster;
beforeAll(async () => {
  if (!skip) cluster = await startEtcdCluster(1);
});
afterAll(async () => {
  await cluster?.stop();
});

async function openSignedIn(daemon: TestDaemon): Promise<{ page: Page; failedResponses: string[]; pageErrors: string[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  onTestFinished(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const failedResponses: string[] = [];
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('response', (res) => {
    if (res.status() >= 400) failedResponses.push(`${res.status()} ${new URL(res.url()).pathname}`);
  });
  onTestFinished(async ({ task }) => {
    if (task.result?.state === 'fail' && !page.isClosed()) {
      await mkdir(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'fleet-failure.png'), fullPage: true }).catch(() => {});
    }
  });
  await page.goto(daemon.adminUrl);
  await page.fill('#token-input', daemon.token);
  await page.click('#token-submit');
  await page.waitForSelector('#main', { state: 'visible' });
  return { page, failedResponses, pageErrors };
}

/** The fleet card's rows as the page shows them. */
function fleetRows(page: Page) {
  return page.evaluate(() => ({
    hidden: document.querySelector('#fleet-card')?.hidden ?? true,
    etcd: document.querySelector('#fleet-etcd')?.textContent ?? null,
    rows: Array.from(document.querySelectorAll('#fleet-nodes tr')).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')),
  }));
}

describe.skipIf(skip)('the admin page of a fleet node', () => {
  it('shows the fleet card with each node, and says so when etcd is unreachable', { timeout: 60_000 }, async () => {
    const [node] = await startFleet(cluster.endpoints, 1);
    const { page, failedResponses, pageErrors } = await openSignedIn(node!.daemon);
    await page.waitForSelector('#fleet-card', { state: 'visible', timeout: 15_000 });
    await page.waitForFunction(() => document.querySelectorAll('#fleet-nodes tr').length === 1, undefined, { timeout: 10_000 });
    // The node turns ready once it has checked the fleet's release; the card is polled every 2 s.
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#fleet-nodes tr td')).some((td) => td.textContent === 'ready'), undefined, { timeout: 20_000 });
    const shown = await fleetRows(page);
    expect(shown.etcd).toBe('etcd reachable');
    const [name, url, slot, version, healthy, ready, heartbeat] = shown.rows[0]!;
    expect(name).toBe('node1 (this node)');
    expect(url).toBe(node!.daemon.adminUrl);
    expect([slot, version, healthy, ready]).toEqual(['a', '1.0.0', '1/1', 'ready']);
    expect(heartbeat).toMatch(/ ago$/);
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'fleet-1280.png'), fullPage: true });

    await cluster.kill(0);
    await page.waitForFunction(() => document.querySelector('#fleet-etcd')?.textContent === 'etcd UNREACHABLE', undefined, { timeout: 20_000 });
    // Still this node's own row, from its own view of itself.
    expect((await fleetRows(page)).rows.map((r) => r[0])).toEqual(['node1 (this node)']);
    expect(failedResponses).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

// The browser side of the status page test, run inside a router's namespace (the listener listens on a
// namespace address): Debian's chromium driven by playwright-core.
//   status-page.agent.js URL TOKEN INSTANCE SCREENSHOT
// It opens URL/ (the document request alone carries the token, as a proxy in front would add it), enters
// the token in the page's own form (the page's requests then carry it), waits for INSTANCE in BACKUP, says
// so, waits (without reloading) for it to become MASTER, takes a screenshot, waits for it to be BACKUP
// again and reports what the browser saw. One JSON line per phase on stdout: loaded, updated, shot, done.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { refuseOutsideSuiteNamespace } from '../helpers/namespace-guard.js';

refuseOutsideSuiteNamespace('status-page.agent.js');

const [base = '', token = '', instance = 'VI_1', screenshot = ''] = process.argv.slice(2);
const say = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n');

/** The visible text of the instance's row cells (state, priority, trackers, ..., master, last transition). */
const rowOf = `(name) => {
  const tr = document.querySelector('#instances tr[data-instance="' + name + '"]');
  return tr ? [...tr.cells].map((c) => c.innerText) : null;
}`;

async function main(): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'kts-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 720 },
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    const requests: Array<{ path: string; status: number; auth: boolean; lastEventId?: string }> = [];
    page.on('response', (r) => {
      const req = r.request();
      requests.push({
        path: new URL(req.url()).pathname,
        status: r.status(),
        auth: req.headers().authorization === `Bearer ${token}`,
        ...(req.headers()['last-event-id'] !== undefined
          ? { lastEventId: req.headers()['last-event-id'] }
          : {}),
      });
    });
    const documentUrl = `${base}/`;
    // the document alone carries the token here; every later request is the page's own
    await page.route(documentUrl, (route) =>
      route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${token}` } }),
    );
    const doc = await page.goto(documentUrl);
    const csp = doc?.headers()['content-security-policy'] ?? '';
    // without the token, /status answers 401 and the page asks for it
    await page.locator('#token-input').waitFor({ state: 'visible', timeout: 10_000 });
    await page.fill('#token-input', token);
    await page.click('#token-form button');
    // locators, not waitForFunction: the page's Content-Security-Policy forbids evaluating strings
    const stateCell = page.locator(`#instances tr[data-instance="${instance}"] td.st`);
    await stateCell.filter({ hasText: /^BACKUP$/ }).waitFor({ timeout: 15_000 });
    await page.locator('#conn', { hasText: /^live$/ }).waitFor({ timeout: 10_000 });
    say({ phase: 'loaded', row: await page.evaluate(`(${rowOf})(${JSON.stringify(instance)})`) });

    await stateCell.filter({ hasText: /^MASTER$/ }).waitFor({ timeout: 30_000 });
    say({ phase: 'updated', at: Date.now() });
    // the flash of the changed row fades, and the timeline's relative times settle
    await page.waitForTimeout(3000);
    if (screenshot !== '') await page.screenshot({ path: screenshot, fullPage: true });
    say({ phase: 'shot' });
    // the test reloads the daemon with another listener (the stream drops, the page resumes) and brings
    // the old master back, which takes over again
    await stateCell.filter({ hasText: /^BACKUP$/ }).waitFor({ timeout: 40_000 });
    const timeline = (await page.evaluate(
      `[...document.querySelectorAll('#timeline tbody tr')].map((tr) => [...tr.cells].map((c) => c.innerText))`,
    )) as string[][];
    const servers = (await page.evaluate(
      `[...document.querySelectorAll('#servers tbody tr[data-server]')].map((tr) => [...tr.cells].map((c) => c.innerText))`,
    )) as string[][];
    say({
      phase: 'done',
      row: await page.evaluate(`(${rowOf})(${JSON.stringify(instance)})`),
      timeline,
      servers,
      navigations,
      requests,
      problems,
      csp,
    });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

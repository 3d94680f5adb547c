/**
 * GET /docs in a real browser (Chromium, as the e2e tests use): Swagger UI renders every
 * operation of /openapi.json under the API's own strict CSP, with no CSP violation, no console
 * error and no request leaving the origin.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';

import { createApp } from '../../src/api/app';
import { buildOpenApiDocument } from '../../src/api/openapi/document';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { launchBrowser, SCREENSHOT_DIR } from '../e2e/support';

let server: Server;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  // /docs and /openapi.json need no services: the other dependencies are never touched.
  const app = createApp({
    // no database here: rate-limit counters in memory
    config: loadConfig({ TOKENPAY_RATE_LIMIT_STORE: 'memory' }),
    store: {} as never,
    temporal: {} as never,
    gateway: {} as never,
    logger: createLogger({ level: 'silent' }),
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('renders every operation under the strict CSP, with no violation or error', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`[csp-violation] ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.text().includes('Content Security Policy')) {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith(baseUrl) && !request.url().startsWith('data:')) foreign.push(request.url());
  });

  const response = await page.goto(`${baseUrl}/docs`);
  const csp = response!.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).not.toContain('unsafe-inline');

  await page.waitForSelector('.opblock', { timeout: 20_000 });
  const spec = buildOpenApiDocument();
  const operations = Object.values(spec.paths).flatMap((item) => Object.keys(item)).length;
  await page.waitForFunction((n) => document.querySelectorAll('.opblock').length === n, operations, {
    timeout: 10_000,
  });
  expect(await page.locator('.opblock').count()).toBe(operations);
  expect(await page.locator('#operations-Merchant-createPayment').count()).toBe(1);
  // the stylesheet applied (served as a file, allowed by style-src 'self')
  const background = await page
    .locator('.opblock-post')
    .first()
    .evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(background).not.toBe('rgba(0, 0, 0, 0)');

  // expanding an operation renders its schemas (React sets inline styles through the CSSOM)
  await page.locator('#operations-Merchant-createPayment .opblock-summary-control').click();
  await page.waitForSelector('#operations-Merchant-createPayment .responses-wrapper', { timeout: 10_000 });
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'api-docs.png') });

  expect(problems).toEqual([]);
  expect(foreign).toEqual([]);
  await context.close();
});

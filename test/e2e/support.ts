/**
 * Browser helpers for the end-to-end tests: one Chromium per test file, a watcher per page that
 * records CSP violations, uncaught page errors, console errors, requests and main-frame
 * navigations, screenshots kept under test-artifacts/screenshots/ (gitignored), and the
 * accessibility smoke checks shared by the checkout tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Frame,
  type Locator,
  type Page,
  type Request,
} from 'playwright-core';

import { messagesFor, type Messages } from '../../src/web/i18n';
import type { Language } from '../../src/web/view';

export const CHROMIUM_PATH = process.env.TOKENPAY_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export const SCREENSHOT_DIR = path.resolve(__dirname, '../../test-artifacts/screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The mobile viewport of the journey (CONTRACT §2.1 pages must work on a small phone). */
export const PHONE = { width: 360, height: 800 } as const;

export async function newPhoneContext(browser: Browser, language: Language): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: PHONE,
    deviceScaleFactor: 1,
    isMobile: false,
    locale: language === 'ar' ? 'ar-KW' : 'en-US',
  });
  // Also report violations through the DOM event, in case the console message format changes.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(
        `[csp-violation] ${event.violatedDirective} blocked ${event.blockedURI || 'inline'} on ${event.documentURI}`,
      );
    });
  });
  return context;
}

export interface ConsoleEntry {
  type: string;
  text: string;
  /** the page's URL at the time */
  url: string;
  /** what the message is about (for "Failed to load resource": that resource) */
  source: string;
}

/** Everything a page did that a test may want to assert on. */
export class PageWatch {
  readonly consoleErrors: ConsoleEntry[] = [];
  readonly pageErrors: string[] = [];
  readonly requests: Request[] = [];
  private mainFrameNavigations = 0;

  constructor(readonly page: Page) {
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        this.consoleErrors.push({
          type: message.type(),
          text: message.text(),
          url: page.url(),
          source: message.location().url,
        });
      }
    });
    page.on('pageerror', (error) => this.pageErrors.push(`${error.name}: ${error.message} (${page.url()})`));
    page.on('request', (request) => this.requests.push(request));
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) this.mainFrameNavigations++;
    });
  }

  get navigations(): number {
    return this.mainFrameNavigations;
  }

  cspViolations(): ConsoleEntry[] {
    return this.consoleErrors.filter((e) =>
      /content security policy|\[csp-violation\]|refused to (load|execute|apply|frame|connect)/i.test(e.text),
    );
  }

  /**
   * Fails on any CSP violation, uncaught error or console error. The only console error
   * tolerated is the browser's own request for /favicon.ico (the checkout has none).
   */
  assertClean(): void {
    const errors = this.consoleErrors.filter((e) => e.type === 'error' && !isFaviconMiss(e));
    expect({ csp: this.cspViolations(), pageErrors: this.pageErrors, consoleErrors: errors }).toEqual({
      csp: [],
      pageErrors: [],
      consoleErrors: [],
    });
  }
}

/** The browser asks every origin for /favicon.ico by itself; the checkout has none (404). */
function isFaviconMiss(entry: ConsoleEntry): boolean {
  return (
    /^Failed to load resource: the server responded with a status of 404/.test(entry.text) &&
    /\/favicon\.ico$/.test(entry.source)
  );
}

/** Saves `test-artifacts/screenshots/<name>.png` (full page) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^a-zA-Z0-9_.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The page fits the phone: no horizontal scrolling, in either direction. */
export async function assertNoHorizontalScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
    body: document.body.scrollWidth,
  }));
  expect(widths.scroll).toBeLessThanOrEqual(PHONE.width);
  expect(widths.body).toBeLessThanOrEqual(PHONE.width);
}

/** `lang`/`dir` on <html> and, for Arabic, Arabic text on the page. */
export async function assertLanguage(page: Surface, language: Language): Promise<void> {
  const html = page.locator('html');
  expect(await html.getAttribute('lang')).toBe(language);
  expect(await html.getAttribute('dir')).toBe(language === 'ar' ? 'rtl' : 'ltr');
  const text = await page.locator('body').innerText();
  if (language === 'ar') {
    expect(text).toMatch(/[\u0600-\u06ff]{3,}/);
    expect(await page.evaluate(() => getComputedStyle(document.body).direction)).toBe('rtl');
  } else {
    expect(text).not.toMatch(/[\u0600-\u06ff]/);
  }
}

/** A checkout document: the hosted page, or the Web Checkout SDK's frame inside a merchant's page. */
export type Surface = Page | Frame;

export function msg(language: Language): Messages {
  return messagesFor(language);
}

/** The Pay button by its accessible name ("Pay 20.230 KWD" / "ادفع …"). */
export function payButton(page: Surface, language: Language): Locator {
  const prefix = msg(language).pay_amount.split('{amount}')[0]!.trim();
  return page.getByRole('button', { name: new RegExp(`^${escapeRegExp(prefix)}`) });
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The card form's inputs by their autocomplete tokens (what a browser's autofill uses too). */
export function cardInputs(page: Surface) {
  return {
    name: page.locator('input[autocomplete="cc-name"]:visible'),
    number: page.locator('input[autocomplete="cc-number"]:visible'),
    expiry: page.locator('input[autocomplete="cc-exp"]:visible'),
    cvv: page.locator('input[autocomplete="cc-csc"]:visible'),
  };
}

/**
 * Every visible form control has a label that `getByLabel` finds it by, and that label is not
 * empty. Returns the labels for the report.
 */
export async function assertInputsLabelled(page: Surface): Promise<string[]> {
  const inputs = page.locator('input:not([type="hidden"]):visible, select:visible, textarea:visible');
  const count = await inputs.count();
  expect(count).toBeGreaterThan(0);
  const labels: string[] = [];
  for (let i = 0; i < count; i++) {
    const input = inputs.nth(i);
    const described = await input.evaluate((el) => {
      const control = el as HTMLInputElement;
      const label = control.labels?.[0];
      return {
        id: control.id,
        name: control.name,
        label: label?.textContent ?? '',
        visibleLabel: label instanceof HTMLElement ? label.innerText.trim() : '',
      };
    });
    const label = described.label.replace(/\s+/g, ' ').trim();
    expect({ input: described.id || described.name, labelled: described.visibleLabel.length > 0 }).toEqual({
      input: described.id || described.name,
      labelled: true,
    });
    const handle = await input.elementHandle();
    const found = await page
      .getByLabel(label, { exact: true })
      .evaluateAll((els, target) => els.some((el) => el === target), handle);
    await handle?.dispose();
    expect({ input: described.id || described.name, label, foundByLabel: found }).toEqual({
      input: described.id || described.name,
      label,
      foundByLabel: true,
    });
    labels.push(label);
  }
  return labels;
}

/**
 * Focuses `first` and presses Tab until the Pay button has focus; returns the ids (or names)
 * focused on the way. Fails if the button is not reached within `maxTabs`. In a frame, the keys
 * are pressed on its page.
 */
export async function tabToPayButton(page: Surface, first: Locator, maxTabs = 25): Promise<string[]> {
  const keyboard: Page = isPage(page) ? page : page.page();
  await first.focus();
  const visited: string[] = [await focusedId(page)];
  for (let i = 0; i < maxTabs; i++) {
    if (visited[visited.length - 1] === 'pay-button') return visited;
    await keyboard.keyboard.press('Tab');
    visited.push(await focusedId(page));
  }
  throw new Error(`Tab never reached the Pay button; focus went: ${visited.join(' → ')}`);
}

function isPage(surface: Surface): surface is Page {
  return typeof (surface as Page).keyboard === 'object';
}

function focusedId(page: Surface): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLInputElement | null;
    if (!el || el === document.body) return '(body)';
    return el.id || (el.name ? `${el.tagName.toLowerCase()}[name=${el.name}]` : el.tagName.toLowerCase());
  });
}

/** Requests to the tokenpay API origin after a given index in `watch.requests`. */
export function requestsTo(watch: PageWatch, origin: string, from = 0): Request[] {
  return watch.requests.slice(from).filter((r) => new URL(r.url()).origin === origin);
}

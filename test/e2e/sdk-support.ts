/**
 * The Web Checkout SDK across origins, in a real browser: tokenpay (one origin) and the demo
 * shop (another origin, its own port) whose page embeds the SDK with the demo public key. The
 * shop page's incoming postMessages are recorded from its first script on, so tests can show that
 * none carries card data.
 */
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';

import { DEV_DEFAULTS } from '../../src/config';
import { freePort } from '../../src/dev/process';
import { startDemoShop, type DemoShop } from '../../src/dev/demo-shop/server';
import type { Language } from '../../src/web/view';
import { startHarness, type Harness } from '../support/harness';
import { launchBrowser, newPhoneContext, PageWatch } from './support';

export interface SdkStack {
  h: Harness;
  shop: DemoShop;
  browser: Browser;
  close(): Promise<void>;
}

export async function startSdkStack(): Promise<SdkStack> {
  const shopPort = await freePort();
  const shopOrigin = `http://127.0.0.1:${shopPort}`;
  const [h, browser] = await Promise.all([
    startHarness({ env: { TOKENPAY_DEMO_SHOP_ORIGINS: shopOrigin } }),
    launchBrowser(),
  ]);
  const shop = await startDemoShop({
    port: shopPort,
    tokenpayUrl: h.baseUrl,
    apiKey: DEV_DEFAULTS.demoApiKey,
    publicKey: DEV_DEFAULTS.demoPublicKey,
    webhookKey: DEV_DEFAULTS.demoWebhookKey,
  });
  return {
    h,
    shop,
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      await shop.close();
      await h.close();
    },
  };
}

export interface ShopPage {
  context: BrowserContext;
  page: Page;
  watch: PageWatch;
  /** the SDK's iframe, once its form is ready */
  frame: Frame;
}

/** A desktop-ish context that records every message the shop's top window receives. */
export async function newShopContext(browser: Browser, language: Language): Promise<BrowserContext> {
  const context = await newPhoneContext(browser, language);
  await context.addInitScript(() => {
    if (window.top !== window) return;
    const w = window as unknown as { __messages: Array<{ origin: string; data: string }> };
    w.__messages = [];
    window.addEventListener(
      'message',
      (event) => w.__messages.push({ origin: event.origin, data: JSON.stringify(event.data) }),
      true,
    );
  });
  return context;
}

/** Opens the shop (query: customer, lang, preload, …) and waits for the SDK's form to be ready. */
export async function openShop(
  stack: SdkStack,
  query: Record<string, string>,
  options: { context?: BrowserContext; ready?: boolean } = {},
): Promise<ShopPage> {
  const context = options.context ?? (await newShopContext(stack.browser, (query.lang as Language) ?? 'en'));
  const page = await context.newPage();
  await page.setViewportSize({ width: 480, height: 900 });
  const watch = new PageWatch(page);
  const url = `${stack.shop.url}/?${new URLSearchParams(query).toString()}`;
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  const frame = await sdkFrame(page, options.ready ?? true);
  return { context, page, watch, frame };
}

/** The SDK's iframe (its checkout mounted, unless `ready` is false). */
export async function sdkFrame(page: Page, ready = true): Promise<Frame> {
  const handle = await page.waitForSelector('#checkout iframe');
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('the SDK iframe has no frame');
  if (ready) await frame.locator('#checkout.is-ready').waitFor();
  return frame;
}

/** The callbacks the shop page listed (kind + data), oldest first. */
export async function shopEvents(page: Page): Promise<Array<{ kind: string; data: any }>> {
  return page.$$eval('#events li', (items) =>
    items.map((li) => ({
      kind: li.getAttribute('data-kind') ?? '',
      data: JSON.parse(li.querySelector('pre')?.textContent ?? 'null'),
    })),
  );
}

/** Waits until the shop has listed `count` callbacks of `kind`; returns the last one's data. */
export async function waitForEvent(page: Page, kind: string, count = 1): Promise<any> {
  await page.waitForFunction(
    ([k, n]) => document.querySelectorAll(`#events li[data-kind="${k}"]`).length >= (n as number),
    [kind, count] as const,
    { timeout: 30_000 },
  );
  const events = (await shopEvents(page)).filter((e) => e.kind === kind);
  return events[events.length - 1]!.data;
}

/** Every message the shop's window received, as JSON text. */
export function shopMessages(page: Page): Promise<Array<{ origin: string; data: string }>> {
  return page.evaluate(
    () => (window as unknown as { __messages: Array<{ origin: string; data: string }> }).__messages,
  );
}

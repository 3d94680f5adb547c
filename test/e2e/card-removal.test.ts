/**
 * On the hosted checkout page (Chromium, phone size): the customer removes a saved card after a
 * confirmation step, keyboard only, and it is gone; a card that pays an auto-debit agreement is
 * shown locked, with why, and cannot be removed. (The same script runs in the SDK's frame:
 * test/e2e/sdk-journey.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext } from 'playwright-core';

import { interpolate } from '../../src/web/i18n';
import { card, startHarness, TEST_CARDS, type Harness } from '../support/harness';
import { launchBrowser, msg, newPhoneContext, PageWatch, screenshot } from './support';

jest.setTimeout(120_000);

let h: Harness;
let browser: Browser;
let context: BrowserContext | undefined;

beforeAll(async () => {
  [h, browser] = await Promise.all([startHarness(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});
afterEach(async () => {
  await context?.close();
});

async function create(customer: string, extra: Record<string, unknown> = {}) {
  const res = await h.merchant('POST', '/b/checkout/v1/pymt-txn/', {
    type: 'e_commerce',
    amount: '5',
    currency_code: 'KWD',
    pg_codes: ['ottu_pg_kwd_tkn', 'ottu_pg_kwd_tkn_nocvv'],
    customer_id: customer,
    ...extra,
  });
  expect(res.status).toBe(201);
  return res.body as { session_id: string; checkout_url: string };
}

async function saveCard(
  customer: string,
  number: string,
  extra: Record<string, unknown> = {},
  pg = 'ottu_pg_kwd_tkn',
) {
  const { session_id } = await create(customer, extra);
  const res = await h.request('POST', `/checkout/${session_id}/submit`, {
    body: { pg_code: pg, payment_method: 'card', card: card(number), save_card: true },
  });
  expect(res.body.result).toBe('success');
}

it('removes a saved card after confirming, keyboard only; a card paying an agreement stays, locked', async () => {
  const m = msg('en');
  const customer = `removal-${randomBytes(4).toString('hex')}`;
  await saveCard(
    customer,
    TEST_CARDS.mastercard,
    {
      payment_type: 'auto_debit',
      agreement: { id: 'agr-1', type: 'recurring' },
      pg_codes: ['ottu_pg_kwd_tkn_nocvv'],
    },
    'ottu_pg_kwd_tkn_nocvv',
  );
  await saveCard(customer, TEST_CARDS.visa);
  const link = await create(customer);

  context = await newPhoneContext(browser, 'en');
  const page = await context.newPage();
  const watch = new PageWatch(page);
  await page.goto(link.checkout_url);
  await page.locator('#checkout.is-ready').waitFor();

  const visa = interpolate(m.card_ending, { brand: m.brand_visa, last4: '4242', expiry: '12/39' });
  const mastercard = interpolate(m.card_ending, {
    brand: m.brand_mastercard,
    last4: '0008',
    expiry: '12/39',
  });
  // the agreement's card: locked, the reason said, no Remove
  const held = page.locator('.choice--card', { has: page.getByRole('radio', { name: mastercard }) });
  expect((await held.locator('.badge--locked').innerText()).trim()).toBe(m.locked);
  expect(await held.locator('.card-lock__reason').innerText()).toMatch(/automatic payments/);
  expect(await held.locator('.card-delete').count()).toBe(0);

  // keyboard only: Tab to the Visa's Remove, Enter, the dialog keeps focus on "Keep card"
  const remove = page.getByRole('button', { name: interpolate(m.remove_card_label, { card: visa }) });
  await page.getByRole('radio', { name: visa }).focus();
  for (let i = 0; i < 5 && !(await remove.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  expect(await remove.evaluate((el) => el === document.activeElement)).toBe(true);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: m.remove_title });
  await dialog.waitFor();
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('remove-keep');
  await screenshot(page, 'removal-1-confirm');
  // Escape keeps the card
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  expect(await page.locator('.choice--card').count()).toBe(2);
  expect(await remove.evaluate((el) => el === document.activeElement)).toBe(true);

  await page.keyboard.press('Enter');
  await dialog.waitFor();
  await page.keyboard.press('Shift+Tab'); // to "Remove card"
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('remove-confirm');
  await page.keyboard.press('Enter');
  await page.getByRole('radio', { name: visa }).waitFor({ state: 'detached' });
  expect((await page.locator('#status').innerText()).trim()).toBe(m.card_removed);
  expect(await page.locator('.choice--card').count()).toBe(1);
  // the remaining card is selected and has focus
  expect(await page.getByRole('radio', { name: mastercard }).isChecked()).toBe(true);
  expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('source');
  await screenshot(page, 'removal-2-removed');

  const listed = await h.merchant('POST', '/b/pbl/v2/card/', { type: 'sandbox', customer_id: customer });
  expect(listed.body.map((c: { number: string }) => c.number)).toEqual(['**** 0008']);
  watch.assertClean();
});

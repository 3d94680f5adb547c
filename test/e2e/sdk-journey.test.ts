/**
 * The Web Checkout SDK in a real browser (Chromium) across origins: the demo shop on one origin
 * embeds the SDK with the demo public key; tokenpay serves the script and the payment frame from
 * another. A customer pays with a new card and saves it, comes back and pays with the saved card
 * typing only its CVV (Visa, and a 4-digit Amex in Arabic), passes 3-D Secure inside the frame, is
 * declined then succeeds, runs out of attempts, removes a saved card (confirmation, webhook) and
 * cannot remove one that pays an agreement. The callbacks carry Ottu's documented payloads; an
 * unlisted origin cannot frame the form; the preload saves the frame its fetch (and a broken one
 * is fetched instead); keyboard-only payment works; and no card number or CVV ever reaches the
 * shop page's DOM, a message to it, or tokenpay's logs.
 */
import { randomBytes } from 'node:crypto';
import type { Frame, Page, Request } from 'playwright-core';

import { DEV_DEFAULTS } from '../../src/config';
import { DEMO_GATEWAY_CONFIGS } from '../../src/domain/gateway-config';
import { startDemoShop } from '../../src/dev/demo-shop/server';
import { freePort } from '../../src/dev/process';
import { interpolate } from '../../src/web/i18n';
import type { Language } from '../../src/web/view';
import { ALL_TEST_PANS, capturedLogs, TEST_CARDS } from '../support/harness';
import {
  assertInputsLabelled,
  assertLanguage,
  cardInputs,
  msg,
  payButton,
  screenshot,
  tabToPayButton,
} from './support';
import {
  newShopContext,
  openShop,
  sdkFrame,
  shopEvents,
  shopMessages,
  startSdkStack,
  waitForEvent,
  type SdkStack,
  type ShopPage,
} from './sdk-support';

jest.setTimeout(180_000);

let stack: SdkStack;
let open: ShopPage | undefined;
const CVVS = new Set<string>();

beforeAll(async () => {
  stack = await startSdkStack();
});
afterAll(async () => {
  await stack?.close();
});
afterEach(async () => {
  await open?.context.close();
  open = undefined;
});

const newCustomer = (): string => `sdk-${randomBytes(5).toString('hex')}`;

async function shop(query: Record<string, string>): Promise<ShopPage> {
  await open?.context.close();
  open = await openShop(stack, query);
  return open;
}

async function typeCard(frame: Frame, number: string, cvv: string, expiry = '12/39'): Promise<void> {
  CVVS.add(cvv);
  const inputs = cardInputs(frame);
  await inputs.name.fill('Test Customer');
  await inputs.number.pressSequentially(number);
  await inputs.expiry.pressSequentially(expiry.replace('/', ''));
  await inputs.cvv.pressSequentially(cvv);
}

/** Clicks Pay in the frame; resolves with the JSON the frame submitted. */
async function pay(page: Page, frame: Frame, language: Language = 'en'): Promise<any> {
  const [request] = await Promise.all([
    page.waitForRequest((r: Request) => r.method() === 'POST' && r.url().endsWith('/submit')),
    payButton(frame, language).click(),
  ]);
  return request.postDataJSON();
}

/** The fields Ottu documents for the callbacks' data object. */
function expectOttuPayload(data: any, status: string, formOfPayment: string, sessionId?: string): void {
  expect(data).toMatchObject({
    status,
    message: expect.any(String),
    session_id: sessionId ?? expect.stringMatching(/^[0-9a-f]{64}$/),
    order_no: expect.stringMatching(/^demo-/),
    form_of_payment: formOfPayment,
    challenge_occurred: expect.any(Boolean),
    payment_gateway_info: {
      pg_name: 'tokenpay',
      pg_code: expect.any(String),
      pg_response: expect.any(Object),
    },
  });
}

/** The SDK sizes its iframe to the frame's content: no inner scrolling, no empty space. */
async function expectFrameFitsContent(page: Page, frame: Frame): Promise<void> {
  const content = () =>
    frame.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height));
  await page.waitForFunction(
    (height) =>
      Math.abs((document.querySelector('#checkout iframe') as HTMLElement).offsetHeight - height) <= 2,
    await content(),
  );
  expect(await frame.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 2)).toBe(
    true,
  );
}

async function sessionIdOf(page: Page): Promise<string> {
  return page.evaluate(() => JSON.parse(document.getElementById('shop-config')!.textContent!).session_id);
}

async function state(sessionId: string): Promise<string> {
  return (await stack.h.merchant('GET', `/b/checkout/v1/pymt-txn/${sessionId}/`)).body.state;
}

/** No card number (in any spacing) and no CVV-bearing field in the shop's DOM or its messages. */
async function expectNoCardDataInShop(page: Page): Promise<void> {
  const dom = await page.evaluate(() => document.documentElement.outerHTML);
  const messages = (await shopMessages(page)).map((m) => m.data).join('\n');
  expect(messages.length).toBeGreaterThan(0);
  for (const haystack of [dom, messages]) {
    for (const pan of ALL_TEST_PANS) {
      expect(haystack).not.toContain(pan);
      expect(haystack).not.toContain(pan.replace(/(\d{4})(?=\d)/g, '$1 '));
    }
    expect(haystack).not.toMatch(/"(cvv|cvc|card_cvv|cc-csc)"\s*:/i);
  }
  // every message came from tokenpay's frame
  const origins = new Set((await shopMessages(page)).map((m) => m.origin));
  expect([...origins]).toEqual([new URL(stack.h.baseUrl).origin]);
}

describe('a returning customer in the merchant page', () => {
  it('pays with a new card and saves it, then with the saved Visa typing only the CVV', async () => {
    const customer = newCustomer();
    const m = msg('en');
    let { page, frame, watch } = await shop({ customer });
    // rendered from the preload the shop got on create: the frame fetched nothing
    expect(await frame.locator('#checkout').getAttribute('data-setup-source')).toBe('preload');
    expect(watch.requests.filter((r) => r.url().includes('/sdk-setup'))).toEqual([]);
    expect(await assertInputsLabelled(frame)).toEqual([
      DEMO_GATEWAY_CONFIGS[0]!.name,
      DEMO_GATEWAY_CONFIGS[1]!.name,
      m.name_on_card,
      m.card_number,
      m.expiry,
      m.cvv,
      m.save_card,
    ]);
    await typeCard(frame, TEST_CARDS.visa, '123');
    await frame.getByLabel(m.save_card).check();
    const sessionId = await sessionIdOf(page);
    const sent = await pay(page, frame);
    expect(sent).toMatchObject({ payment_method: 'card', save_card: true, pg_code: 'ottu_pg_kwd_tkn' });
    const before = await waitForEvent(page, 'beforePayment');
    expect(before).toEqual({
      card: {
        number: '424242XXXXXX4242',
        expiry_month: '12',
        expiry_year: '39',
        brand: 'VISA',
        scheme: 'Visa',
      },
      session_id: sessionId,
    });
    const success = await waitForEvent(page, 'success');
    expectOttuPayload(success, 'success', 'jazz', sessionId);
    expect(success).toMatchObject({
      challenge_occurred: false,
      reference_number: expect.stringMatching(/^TP/),
    });
    expect(await state(sessionId)).toBe('paid');
    await frame.locator('#outcome.outcome--success').waitFor();
    await expectFrameFitsContent(page, frame);
    await screenshot(page, 'sdk-1-new-card-paid');
    await expectNoCardDataInShop(page);
    watch.assertClean();

    // the customer comes back: the saved card is offered, only its CVV is asked
    ({ page, frame, watch } = await shop({ customer }));
    const srName = interpolate(m.card_ending, { brand: m.brand_visa, last4: '4242', expiry: '12/39' });
    const saved = frame.getByRole('radio', { name: srName });
    expect(await saved.isChecked()).toBe(true);
    await frame.locator('#new-card').waitFor({ state: 'hidden' });
    const inputs = cardInputs(frame);
    expect(await inputs.number.count()).toBe(0);
    expect(await inputs.cvv.count()).toBe(1);
    // keyboard: the saved card, its CVV box, its Remove button, then Pay
    expect(await tabToPayButton(frame, saved)).toEqual([
      'input[name=source]',
      'saved-cvv-0',
      'remove-card-0',
      'pay-button',
    ]);
    await inputs.cvv.pressSequentially('123');
    const second = await pay(page, frame);
    expect(second).toEqual({
      pg_code: 'ottu_pg_kwd_tkn',
      payment_method: 'token',
      token: expect.any(String),
      cvv: '123',
    });
    const paid = await waitForEvent(page, 'success');
    expectOttuPayload(paid, 'success', 'token_pay', await sessionIdOf(page));
    await screenshot(page, 'sdk-2-saved-card-paid');
    await expectNoCardDataInShop(page);
    watch.assertClean();
  });

  it('in Arabic, right to left: a 4-digit Amex saved, then paid with its 4-digit CVV only', async () => {
    const customer = newCustomer();
    const m = msg('ar');
    let { page, frame, watch } = await shop({ customer, lang: 'ar' });
    await assertLanguage(frame, 'ar');
    await typeCard(frame, TEST_CARDS.amex, '1234');
    expect(await cardInputs(frame).number.inputValue()).toBe('3782 822463 10005');
    await frame.getByLabel(m.save_card).check();
    await pay(page, frame, 'ar');
    expectOttuPayload(await waitForEvent(page, 'success'), 'success', 'jazz');

    ({ page, frame, watch } = await shop({ customer, lang: 'ar' }));
    await assertLanguage(frame, 'ar');
    const cvv = cardInputs(frame).cvv;
    expect(await cvv.getAttribute('maxlength')).toBe('4');
    expect(await frame.locator('.saved-cvv .field__hint').first().innerText()).toBe(m.cvv_hint_amex);
    await cvv.pressSequentially('1234');
    expect(await pay(page, frame, 'ar')).toMatchObject({ payment_method: 'token', cvv: '1234' });
    expectOttuPayload(await waitForEvent(page, 'success'), 'success', 'token_pay');
    await frame.locator('#outcome.outcome--success').waitFor();
    await expectFrameFitsContent(page, frame);
    await screenshot(page, 'sdk-3-amex-ar');
    await expectNoCardDataInShop(page);
    watch.assertClean();
  });
});

describe('outcomes and their callbacks', () => {
  it('3-D Secure runs inside the frame; approved, the merchant page hears success with challenge_occurred', async () => {
    const { page, frame, watch } = await shop({ customer: newCustomer() });
    const sessionId = await sessionIdOf(page);
    await typeCard(frame, TEST_CARDS.threeDs, '321');
    const simulator = new URL(stack.h.simulatorUrl).origin;
    await pay(page, frame);
    // the gateway's page opens inside tokenpay's frame (the shop only allows tokenpay to frame)
    const challenge = await frame.waitForSelector('iframe.challenge-frame');
    const gateway = (await challenge.contentFrame())!;
    await gateway.locator('#approve').waitFor();
    expect(new URL(gateway.url()).origin).toBe(simulator);
    expect(gateway.parentFrame()).toBe(frame);
    expect(await frame.getByRole('heading', { name: msg('en').challenge_title }).isVisible()).toBe(true);
    await screenshot(page, 'sdk-4-3ds-challenge');
    await gateway.getByRole('button', { name: 'Approve' }).click();
    const success = await waitForEvent(page, 'success');
    expectOttuPayload(success, 'success', 'jazz', sessionId);
    expect(success.challenge_occurred).toBe(true);
    const back = await sdkFrame(page, false);
    await back.locator('#outcome.outcome--success').waitFor();
    expect(await state(sessionId)).toBe('paid');
    // the merchant's page itself never navigated
    expect(watch.navigations).toBe(1);
    await screenshot(page, 'sdk-5-3ds-paid');
    await expectNoCardDataInShop(page);
  });

  it('a decline calls cancelCallback and the customer pays with another card; out of attempts calls errorCallback', async () => {
    const m = msg('en');
    let { page, frame, watch } = await shop({ customer: newCustomer() });
    await typeCard(frame, TEST_CARDS.declined, '111');
    await pay(page, frame);
    const canceled = await waitForEvent(page, 'cancel');
    expectOttuPayload(canceled, 'canceled', 'jazz');
    expect(canceled.message).toMatch(/declined/i);
    // the form stays, with the reason and "try again"
    await frame.locator('#status.status--error').waitFor();
    expect(await frame.locator('#status').innerText()).toContain(m.attempt_failed);
    await cardInputs(frame).number.fill('');
    await cardInputs(frame).cvv.fill('');
    await cardInputs(frame).number.pressSequentially(TEST_CARDS.visa);
    await cardInputs(frame).cvv.pressSequentially('123');
    await pay(page, frame);
    expectOttuPayload(await waitForEvent(page, 'success'), 'success', 'jazz');
    expect((await shopEvents(page)).map((e) => e.kind)).toEqual([
      'beforePayment',
      'cancel',
      'beforePayment',
      'success',
    ]);
    watch.assertClean();

    // three declines (max_attempts 3): cancel, cancel, then error — a new session is needed
    ({ page, frame, watch } = await shop({ customer: newCustomer() }));
    for (let attempt = 1; attempt <= 3; attempt++) {
      const inputs = cardInputs(frame);
      await inputs.number.fill('');
      await inputs.cvv.fill('');
      if (attempt === 1) await typeCard(frame, TEST_CARDS.insufficientFunds, '222');
      else {
        await inputs.number.pressSequentially(TEST_CARDS.insufficientFunds);
        await inputs.cvv.pressSequentially('222');
      }
      await pay(page, frame);
      if (attempt < 3) await waitForEvent(page, 'cancel', attempt);
    }
    const error = await waitForEvent(page, 'error');
    expectOttuPayload(error, 'error', 'jazz');
    expect(await state(await sessionIdOf(page))).toBe('failed');
    await frame.locator('#outcome.outcome--failed').waitFor();
    await screenshot(page, 'sdk-6-failed');
    await expectNoCardDataInShop(page);
    watch.assertClean();
  });
});

describe('customers manage their saved cards in the merchant page', () => {
  async function saveCard(customer: string, query: Record<string, string> = {}): Promise<void> {
    const { page, frame } = await shop({ customer, ...query });
    await typeCard(frame, TEST_CARDS.mastercard, '456');
    const save = frame.getByLabel(msg('en').save_card);
    if (await save.isVisible()) await save.check();
    await pay(page, frame);
    await waitForEvent(page, 'success');
  }

  it('removes one after confirming: gone from the page, the list and the API; the merchant is told', async () => {
    const m = msg('en');
    const customer = newCustomer();
    await saveCard(customer);
    const { page, frame, watch } = await shop({ customer });
    const name = interpolate(m.card_ending, { brand: m.brand_mastercard, last4: '0008', expiry: '12/39' });
    const remove = frame.getByRole('button', { name: interpolate(m.remove_card_label, { card: name }) });
    await remove.click();
    const dialog = frame.getByRole('dialog', { name: m.remove_title });
    await dialog.waitFor();
    expect(await frame.locator('#remove-message').innerText()).toBe(
      interpolate(m.remove_message, { card: name }),
    );
    // the safe choice has focus; keeping changes nothing and gives focus back
    expect(await frame.evaluate(() => document.activeElement?.id)).toBe('remove-keep');
    await screenshot(page, 'sdk-7-remove-confirm');
    await frame.getByRole('button', { name: m.remove_keep }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await frame.evaluate(() => document.activeElement?.id)).toBe('remove-card-0');
    expect(await frame.locator('.choice--card').count()).toBe(1);

    await remove.click();
    await frame.getByRole('button', { name: m.remove_confirm }).click();
    await frame.locator('.choice--card').waitFor({ state: 'detached' });
    expect((await frame.locator('#status').innerText()).trim()).toBe(m.card_removed);
    expect(await frame.locator('#new-card').isVisible()).toBe(true);
    expect(await frame.evaluate(() => document.activeElement?.id)).toBe('cc-name');
    const deleted = await waitForEvent(page, 'cardDeleted');
    expect(deleted).toEqual({
      token: expect.stringMatching(/^[0-9a-f]{40}$/),
      brand: 'mastercard',
      number: '**** 0008',
    });
    const listed = await stack.h.merchant('POST', '/b/pbl/v2/card/', {
      type: 'sandbox',
      customer_id: customer,
    });
    expect(listed.body).toEqual([]);
    // the merchant's webhook, signed
    const sessionId = await sessionIdOf(page);
    let hook: any;
    for (let i = 0; i < 100 && !hook; i++) {
      const hooks = (await (await fetch(`${stack.shop.url}/webhooks`)).json()) as any[];
      hook = hooks.find((w) => w.body.session_id === sessionId && w.body.operation === 'card_deleted');
      if (!hook) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(hook).toMatchObject({
      verified: true,
      body: { token: { token: deleted.token, number: '**** 0008' } },
    });
    await screenshot(page, 'sdk-8-removed');
    await expectNoCardDataInShop(page);
    watch.assertClean();
  });

  it('shows a card that pays an auto-debit agreement as locked, with why, and offers no Remove', async () => {
    const m = msg('en');
    const customer = newCustomer();
    await saveCard(customer, {
      agreement: `agr-${randomBytes(3).toString('hex')}`,
      pg: 'ottu_pg_kwd_tkn_nocvv',
    });
    const { page, frame, watch } = await shop({ customer, pg: 'ottu_pg_kwd_tkn_nocvv' });
    const row = frame.locator('.choice--card');
    expect(await row.count()).toBe(1);
    expect((await row.locator('.badge--locked').innerText()).trim()).toBe(m.locked);
    expect(await row.locator('.card-lock__reason').innerText()).toMatch(/automatic payments/);
    expect(await row.locator('.card-delete').count()).toBe(0);
    // the lock is described to assistive technology on the card itself
    const radio = row.locator('input[name="source"]');
    expect(await radio.getAttribute('aria-describedby')).toBe('card-lock-0');
    // a card without CVV requirement: Pay right away
    expect(await cardInputs(frame).cvv.count()).toBe(0);
    await screenshot(page, 'sdk-9-locked');
    watch.assertClean();
  });
});

describe('who may frame the form, and how it loads', () => {
  it('an origin the public key does not list cannot frame it: the page hears errorCallback', async () => {
    const port = await freePort();
    const stranger = await startDemoShop({
      port,
      tokenpayUrl: stack.h.baseUrl,
      apiKey: DEV_DEFAULTS.demoApiKey,
      publicKey: DEV_DEFAULTS.demoPublicKey,
    });
    try {
      const context = await newShopContext(stack.browser, 'en');
      const page = await context.newPage();
      const frameResponses: number[] = [];
      page.on('response', (r) => {
        if (r.url().includes('/checkout/v3/frame/')) frameResponses.push(r.status());
      });
      await page.goto(`${stranger.url}/?customer=${newCustomer()}`);
      const error = await waitForEvent(page, 'error');
      expect(error).toMatchObject({ status: 'error', message: expect.stringMatching(/could not be loaded/) });
      expect(frameResponses).toEqual([403]);
      const frame = await sdkFrame(page, false);
      expect(await frame.locator('#pay-form').count()).toBe(0);
      expect(await frame.locator('input').count()).toBe(0);
      await screenshot(page, 'sdk-10-unlisted-origin');
      await context.close();
    } finally {
      await stranger.close();
    }
  });

  it('a broken preload is discarded and fetched instead; no preload is fetched too', async () => {
    for (const preload of ['invalid', '0']) {
      const { frame, watch } = await shop({ customer: newCustomer(), preload });
      expect(await frame.locator('#checkout').getAttribute('data-setup-source')).toBe('fetched');
      expect(watch.requests.filter((r) => r.url().includes('/sdk-setup')).length).toBe(1);
      expect(await payButton(frame, 'en').isEnabled()).toBe(true);
      watch.assertClean();
    }
  });

  it("applies the merchant's theme inside the frame under its strict CSP", async () => {
    const { page, frame, watch } = await shop({ customer: newCustomer(), theme: 'dark' });
    const background = await frame
      .locator('#pay-button')
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe('rgb(242, 169, 0)');
    await screenshot(page, 'sdk-11-theme');
    watch.assertClean();
  });

  it('keyboard only: Tab from the first field to Pay, Enter pays', async () => {
    const { page, frame, watch } = await shop({ customer: newCustomer(), pg: 'ottu_pg_kwd_tkn' });
    const inputs = cardInputs(frame);
    expect(await tabToPayButton(frame, inputs.name)).toEqual([
      'cc-name',
      'cc-number',
      'cc-exp',
      'cc-csc',
      'save-card',
      'pay-button',
    ]);
    await inputs.name.focus();
    await page.keyboard.type('Test Customer');
    await page.keyboard.press('Tab');
    await page.keyboard.type(TEST_CARDS.visa);
    await page.keyboard.press('Tab');
    await page.keyboard.type('1239');
    await page.keyboard.press('Tab');
    await page.keyboard.type('135');
    CVVS.add('135');
    await page.keyboard.press('Tab'); // save card
    await page.keyboard.press('Tab'); // Pay
    expect(await frame.evaluate(() => document.activeElement?.id)).toBe('pay-button');
    await page.keyboard.press('Enter');
    expectOttuPayload(await waitForEvent(page, 'success'), 'success', 'jazz');
    watch.assertClean();
  });
});

it("tokenpay's logs hold no card number and no CVV of any of these payments", () => {
  const logs = capturedLogs(stack.h);
  expect(logs.length).toBeGreaterThan(0);
  for (const pan of ALL_TEST_PANS) expect(logs).not.toContain(pan);
  expect(logs).not.toMatch(/"(cvv|cvc)"\s*:\s*"?\d{3,4}/i);
  expect(CVVS.size).toBeGreaterThan(3);
});

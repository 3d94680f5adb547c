/**
 * The customer's whole journey in a real browser (Chromium, 360×800), in English and Arabic:
 * a merchant creates a link over HTTP, the customer types a card, saves it, pays, comes back and
 * pays with the saved card and only the CVV, passes a 3-D Secure challenge on the gateway's page,
 * and gets a Luhn error without a request to the server. Every page is checked against the CSP
 * (no violation, no uncaught error), for horizontal scrolling, and for labelled inputs; a
 * screenshot of every step is kept in test-artifacts/screenshots/.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';

import { interpolate } from '../../src/web/i18n';
import type { Language } from '../../src/web/view';
import { card, startHarness, TEST_CARDS, type Harness } from '../support/harness';
import {
  assertInputsLabelled,
  assertLanguage,
  assertNoHorizontalScroll,
  cardInputs,
  launchBrowser,
  msg,
  newPhoneContext,
  PageWatch,
  payButton,
  requestsTo,
  screenshot,
  tabToPayButton,
} from './support';

jest.setTimeout(120_000);

const CREATE = '/b/checkout/v1/pymt-txn/';
const PG = 'ottu_pg_kwd_tkn';
const LANGUAGES: Language[] = ['en', 'ar'];

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
beforeEach(() => {
  context = undefined;
});
afterEach(async () => {
  await context?.close();
});

const newCustomer = (): string => `e2e-${randomBytes(6).toString('hex')}`;

interface Link {
  sessionId: string;
  checkoutUrl: string;
}

async function createLink(customerId: string, language: Language): Promise<Link> {
  const res = await h.merchant('POST', CREATE, {
    type: 'e_commerce',
    amount: '20.23',
    currency_code: 'KWD',
    pg_codes: [PG],
    customer_id: customerId,
    order_no: `e2e-${randomBytes(4).toString('hex')}`,
    language,
  });
  expect(res.status).toBe(201);
  expect(res.body.checkout_url).toBe(`${h.baseUrl}/checkout/${res.body.session_id}`);
  return { sessionId: res.body.session_id, checkoutUrl: res.body.checkout_url };
}

async function paymentState(sessionId: string): Promise<string> {
  const res = await h.merchant('GET', `${CREATE}${sessionId}/`);
  expect(res.status).toBe(200);
  return res.body.state as string;
}

/** A fresh context (one per test) and page at the phone viewport, watched from the first request. */
async function openCheckout(language: Language, url: string): Promise<{ page: Page; watch: PageWatch }> {
  context = await newPhoneContext(browser, language);
  const page = await context.newPage();
  const watch = new PageWatch(page);
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  // checkout.js marks the page ready once its handlers are wired and the Pay button is enabled
  await page.locator('#checkout.is-ready').waitFor();
  return { page, watch };
}

/** What every checkout page must satisfy, whatever the step. */
async function checkPage(page: Page, watch: PageWatch, language: Language, step: string): Promise<void> {
  await assertLanguage(page, language);
  await assertNoHorizontalScroll(page);
  await screenshot(page, `journey-${language}-${step}`);
  watch.assertClean();
}

/** Types like a customer, key by key, and checks the as-you-type formatting after every key. */
async function typeNewCard(page: Page, language: Language, number: string, formatted: string): Promise<void> {
  const m = msg(language);
  const inputs = cardInputs(page);
  const brand = page.locator('#cc-number-brand');
  await inputs.name.pressSequentially('Test Customer');
  expect((await brand.innerText()).trim()).toBe('');
  for (let i = 1; i <= number.length; i++) {
    await inputs.number.press(number[i - 1]!);
    // "4242 4" after five keys: a space every four digits, as the customer types
    expect(await inputs.number.inputValue()).toBe(formatted.slice(0, i + Math.floor((i - 1) / 4)));
    // the brand shows from the first digit
    expect((await brand.innerText()).trim()).toBe(m.brand_visa);
  }
  expect(await inputs.number.inputValue()).toBe(formatted);
  await inputs.expiry.pressSequentially('1239');
  expect(await inputs.expiry.inputValue()).toBe('12/39');
  await inputs.cvv.pressSequentially('123');
  expect(await inputs.cvv.inputValue()).toBe('123');
}

/** Clicks Pay and returns the submit request with its (parsed) JSON body. */
async function pay(page: Page, language: Language): Promise<{ request: Request; body: any }> {
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && /\/checkout\/[^/]+\/submit$/.test(r.url())),
    payButton(page, language).click(),
  ]);
  return { request, body: request.postDataJSON() };
}

/** Waits for the success panel the script shows in place of the form. */
async function expectSuccessPanel(page: Page, language: Language): Promise<void> {
  const outcome = page.locator('#outcome.outcome--success');
  await outcome.waitFor({ state: 'visible', timeout: 30_000 });
  expect((await page.locator('#outcome-title').innerText()).trim()).toBe(msg(language).title_success);
  expect((await page.locator('#outcome-reference').innerText()).trim()).not.toBe('');
  expect(await page.locator('#pay-form').count()).toBe(0); // the form (and the card data) is gone
}

describe.each(LANGUAGES)('the checkout journey (%s)', (language) => {
  const m = msg(language);

  it('pays with a new card typed in and saved, then with the saved card and only its CVV', async () => {
    const customer = newCustomer();

    // --- first payment: a new card, typed key by key, "save card" ticked ---
    const first = await createLink(customer, language);
    const { page, watch } = await openCheckout(language, first.checkoutUrl);
    expect(await paymentState(first.sessionId)).toBe('pending'); // opening the page
    expect(await page.locator('input[name="source"]').count()).toBe(0); // nothing saved yet
    await assertInputsLabelled(page);
    await checkPage(page, watch, language, '1-new-card-empty');

    await typeNewCard(page, language, TEST_CARDS.visa, '4242 4242 4242 4242');
    const save = page.getByLabel(m.save_card, { exact: true });
    await save.check();
    expect(await save.isChecked()).toBe(true);
    await checkPage(page, watch, language, '2-new-card-filled');

    const navigationsBeforePay = watch.navigations;
    const submitted = await pay(page, language);
    expect(submitted.body).toMatchObject({
      pg_code: PG,
      payment_method: 'card',
      save_card: true,
      card: { number: TEST_CARDS.visa, expiry_month: '12', expiry_year: '39', cvv: '123' },
    });
    await expectSuccessPanel(page, language);
    expect(watch.navigations).toBe(navigationsBeforePay); // no reload, no redirect
    expect(await paymentState(first.sessionId)).toBe('paid');
    await checkPage(page, watch, language, '3-new-card-paid');

    // --- second payment for the same customer: the saved card is offered ---
    const second = await createLink(customer, language);
    await page.goto(second.checkoutUrl);
    await page.locator('#checkout.is-ready').waitFor();
    const saved = page.locator('.saved-cards .choice--card');
    expect(await saved.count()).toBe(1);
    expect((await saved.locator('.card-brand').innerText()).trim()).toBe(m.brand_visa);
    expect((await saved.locator('.card-digits').innerText()).trim()).toBe('**** 4242');
    expect((await saved.locator('.card-expiry').innerText()).trim()).toBe('12/39');
    // brand + last 4 + expiry, never more
    expect(await page.content()).not.toContain(TEST_CARDS.visa);
    expect(await page.content()).not.toContain('424242');
    await checkPage(page, watch, language, '4-saved-card-offered');

    // the customer picks it: the new-card form goes away, only a CVV box is left
    const srName = interpolate(m.card_ending, { brand: m.brand_visa, last4: '4242', expiry: '12/39' });
    await page.getByLabel(m.use_new_card, { exact: true }).check();
    expect(await page.locator('#new-card').isVisible()).toBe(true);
    await page.getByRole('radio', { name: srName }).check();
    await page.locator('#new-card').waitFor({ state: 'hidden' });
    const inputs = cardInputs(page);
    expect(await inputs.number.count()).toBe(0);
    expect(await inputs.cvv.count()).toBe(1);
    await expect(inputs.cvv.evaluate((el) => el.id)).resolves.toMatch(/^saved-cvv-/);
    await assertInputsLabelled(page);
    // keyboard: the saved card, its CVV box, its Remove button, then Pay
    expect(await tabToPayButton(page, page.getByRole('radio', { name: srName }))).toEqual([
      'input[name=source]',
      'saved-cvv-0',
      'remove-card-0',
      'pay-button',
    ]);
    await inputs.cvv.pressSequentially('123');
    await checkPage(page, watch, language, '5-saved-card-cvv');

    const navigationsBeforeSecondPay = watch.navigations;
    const secondSubmit = await pay(page, language);
    expect(secondSubmit.body).toEqual({
      pg_code: PG,
      payment_method: 'token',
      token: expect.stringMatching(/\S/),
      cvv: '123',
    });
    await expectSuccessPanel(page, language);
    expect(watch.navigations).toBe(navigationsBeforeSecondPay);
    expect(await paymentState(second.sessionId)).toBe('paid');
    await checkPage(page, watch, language, '6-saved-card-paid');
  });

  it('a returning customer with a saved Visa, Mastercard and Amex pays with the Amex typing its 4-digit CVV', async () => {
    const customer = newCustomer();
    // three earlier payments saved three cards (through the customer API, as the page would)
    for (const number of [TEST_CARDS.visa, TEST_CARDS.mastercard, TEST_CARDS.amex]) {
      const earlier = await createLink(customer, language);
      const paid = await h.request('POST', `/checkout/${earlier.sessionId}/submit`, {
        body: { pg_code: PG, payment_method: 'card', card: card(number), save_card: true },
      });
      expect(paid.body).toMatchObject({ result: 'success' });
    }

    const link = await createLink(customer, language);
    const { page, watch } = await openCheckout(language, link.checkoutUrl);
    const saved = page.locator('.saved-cards .choice--card');
    expect(await saved.count()).toBe(3);
    const rows = [
      { brand: m.brand_visa, last4: '4242', cvvLength: 3, hint: m.cvv_hint },
      { brand: m.brand_mastercard, last4: '0008', cvvLength: 3, hint: m.cvv_hint },
      { brand: m.brand_amex, last4: '0005', cvvLength: 4, hint: m.cvv_hint_amex },
    ];
    for (const row of rows) {
      const label = interpolate(m.card_ending, { brand: row.brand, last4: row.last4, expiry: '12/39' });
      await page.getByRole('radio', { name: label }).check();
      const radio = page.getByRole('radio', { name: label });
      const index = await radio.getAttribute('data-cvv-index');
      const cvvBox = page.locator(`#saved-cvv-${index}`);
      await cvvBox.waitFor({ state: 'visible' });
      // the box takes exactly the brand's CVV length and says where to find it
      expect(await cvvBox.getAttribute('maxlength')).toBe(String(row.cvvLength));
      expect((await page.locator(`#saved-cvv-${index}-hint`).innerText()).trim()).toBe(row.hint);
    }
    await checkPage(page, watch, language, 'amex-1-three-saved-cards');

    // the Amex (selected last) with its 4-digit CVV
    const amexLabel = interpolate(m.card_ending, { brand: m.brand_amex, last4: '0005', expiry: '12/39' });
    const amexIndex = await page.getByRole('radio', { name: amexLabel }).getAttribute('data-cvv-index');
    const amexCvv = page.locator(`#saved-cvv-${amexIndex}`);
    await amexCvv.pressSequentially('12345'); // a fifth digit does not fit
    expect(await amexCvv.inputValue()).toBe('1234');
    const submitted = await pay(page, language);
    expect(submitted.body).toEqual({
      pg_code: PG,
      payment_method: 'token',
      token: expect.stringMatching(/\S/),
      cvv: '1234',
    });
    await expectSuccessPanel(page, language);
    expect(await paymentState(link.sessionId)).toBe('paid');
    const record = await h.merchant('GET', `${CREATE}${link.sessionId}/`);
    expect(record.body.token).toMatchObject({
      brand: 'American Express',
      number: '**** 0005',
      cvv_required: true,
    });
    await checkPage(page, watch, language, 'amex-2-paid');
  });

  it('3-D Secure: the challenge on the gateway page, Approve, back on the checkout page as paid', async () => {
    const link = await createLink(newCustomer(), language);
    const { page, watch } = await openCheckout(language, link.checkoutUrl);
    await typeNewCard(page, language, TEST_CARDS.threeDs, '4000 0027 6000 3184');
    await checkPage(page, watch, language, '3ds-1-filled');

    const simulator = new URL(h.simulatorUrl).origin;
    await Promise.all([page.waitForURL((url) => url.origin === simulator), pay(page, language)]);
    await page.locator('#approve').waitFor();
    expect(await page.locator('h1').innerText()).toMatch(/3-D Secure/);
    expect(await page.locator('body').innerText()).toContain('3184');
    await assertNoHorizontalScroll(page);
    await screenshot(page, `journey-${language}-3ds-2-challenge`);
    watch.assertClean();
    expect(await paymentState(link.sessionId)).toBe('pending');

    await Promise.all([
      page.waitForURL(link.checkoutUrl, { waitUntil: 'load' }),
      page.getByRole('button', { name: 'Approve' }).click(),
    ]);
    const outcome = page.locator('#outcome');
    await outcome.waitFor();
    expect(await outcome.getAttribute('data-state')).toBe('paid');
    expect(await outcome.getAttribute('class')).toContain('outcome--success');
    expect((await page.locator('#outcome-title').innerText()).trim()).toBe(m.title_success);
    expect(await page.locator('#pay-form').count()).toBe(0);
    expect(await paymentState(link.sessionId)).toBe('paid');
    await checkPage(page, watch, language, '3ds-3-paid');
  });

  it('a Luhn-invalid number is refused in the page language without a request to the server', async () => {
    const link = await createLink(newCustomer(), language);
    const { page, watch } = await openCheckout(language, link.checkoutUrl);
    const inputs = cardInputs(page);
    await inputs.name.pressSequentially('Test Customer');
    await inputs.number.pressSequentially('4242424242424241');
    expect(await inputs.number.inputValue()).toBe('4242 4242 4242 4241');
    await inputs.expiry.pressSequentially('1239');
    await inputs.cvv.pressSequentially('123');

    const before = watch.requests.length;
    await payButton(page, language).click();
    const error = page.locator('#cc-number-error');
    await page.waitForFunction(
      (expected) => document.getElementById('cc-number-error')?.textContent === expected,
      m.err_number_invalid,
    );
    expect((await error.innerText()).trim()).toBe(m.err_number_invalid);
    expect(await inputs.number.getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('cc-number');
    // the other fields are fine
    for (const id of ['cc-name', 'cc-exp', 'cc-csc']) {
      expect(await page.locator(`#${id}-error`).innerText()).toBe('');
    }
    // nothing left the browser: no submit, no other request at all (the browser's own favicon
    // fetch aside, which may land at any time)
    const sent = watch.requests.slice(before).filter((r) => new URL(r.url()).pathname !== '/favicon.ico');
    expect(sent.map((r) => `${r.method()} ${r.url()}`)).toEqual([]);
    expect(requestsTo(watch, new URL(h.baseUrl).origin, before)).toEqual([]);
    expect(await paymentState(link.sessionId)).toBe('pending');
    await checkPage(page, watch, language, 'luhn-error');
  });

  it('accessibility smoke: every visible input is labelled and Tab reaches Pay from the first field', async () => {
    const link = await createLink(newCustomer(), language);
    const { page, watch } = await openCheckout(language, link.checkoutUrl);
    const labels = await assertInputsLabelled(page);
    expect(labels).toEqual([m.name_on_card, m.card_number, m.expiry, m.cvv, m.save_card]);
    for (const label of [m.name_on_card, m.card_number, m.expiry, m.cvv]) {
      expect(await page.getByLabel(label, { exact: true }).getAttribute('autocomplete')).toMatch(/^cc-/);
    }
    const visited = await tabToPayButton(page, cardInputs(page).name);
    expect(visited).toEqual(['cc-name', 'cc-number', 'cc-exp', 'cc-csc', 'save-card', 'pay-button']);
    await checkPage(page, watch, language, 'a11y-focus-on-pay');
  });
});

describe('the CSP watcher', () => {
  it('does catch a violation (control for the checks above)', async () => {
    const link = await createLink(newCustomer(), 'en');
    const { page, watch } = await openCheckout('en', link.checkoutUrl);
    watch.assertClean();
    await Promise.all([
      page.waitForEvent('console', {
        predicate: (message) => /Content Security Policy|\[csp-violation\]/.test(message.text()),
      }),
      page.evaluate(() => {
        const style = document.createElement('style');
        style.textContent = 'body { outline: 1px solid red; }';
        document.head.appendChild(style);
      }),
    ]);
    expect(watch.cspViolations().length).toBeGreaterThan(0);
    expect(() => watch.assertClean()).toThrow();
  });
});

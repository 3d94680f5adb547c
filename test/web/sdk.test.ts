/**
 * The Web Checkout SDK's pieces without a browser: the frame's HTML (the hosted page's components,
 * strict-CSP clean), the frame script's rules (which preloads it trusts, which theme rules it
 * applies, which callback each answer becomes), and the SDK script's message discipline (run in
 * a VM with a minimal DOM: only the frame's window and origin are heard, only the frame's origin
 * is written to).
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

import { DEMO_GATEWAY_CONFIGS } from '../../src/domain/gateway-config';
import type { PaymentRecord } from '../../src/domain/payment';
import { sdkSetupPreload } from '../../src/ottu/sdk-preload';
import { renderChallengeReturn, renderSdkFrame, type SdkFrameView } from '../../src/web/frame';
import { dictionaries } from '../../src/web/i18n';
import { sdkSourceFile, staticDir } from '../../src/web/static';

const SESSION = 'a'.repeat(64);
const BASE = 'https://pay.example';
const SHOP = 'https://shop.example';

function frameView(overrides: Partial<SdkFrameView> = {}): SdkFrameView {
  return {
    sessionId: SESSION,
    merchantName: 'Demo Store',
    language: 'en',
    amount: '20.230',
    currencyCode: 'KWD',
    orderNo: 'ORD-1',
    state: 'pending',
    payable: true,
    csrfToken: 'csrf',
    submitUrl: `/checkout/${SESSION}/submit`,
    setupUrl: `/checkout/${SESSION}/sdk-setup`,
    cardsUrl: `${BASE}/checkout/${SESSION}/cards`,
    checkoutUrl: `${BASE}/checkout/${SESSION}`,
    staticBase: '/static',
    parentOrigin: SHOP,
    allowedOrigins: [SHOP],
    formsOfPayment: ['tokenPay', 'jazz'],
    displayMode: 'column',
    returnedFromChallenge: false,
    returnUrl: `/checkout/v3/frame/${SESSION}?return=1`,
    lockedReason: 'locked',
    ...overrides,
  };
}

function frameData(html: string): Record<string, any> {
  const m = /<script type="application\/json" id="checkout-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no checkout-data block');
  return JSON.parse(m[1] as string);
}

describe('the frame page', () => {
  it("is the hosted page's form, mounted by the script once the setup object is rendered", () => {
    const html = renderSdkFrame(frameView());
    expect(html).toContain('<script src="/static/checkout.js" defer></script>');
    expect(html).toContain('<script src="/static/sdk-frame.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="/static/sdk-theme.css">');
    expect(html).toContain('data-mount="manual"');
    for (const id of [
      'cc-name',
      'cc-number',
      'cc-exp',
      'cc-csc',
      'save-card',
      'pay-button',
      'remove-dialog',
    ]) {
      expect(html).toContain(`id="${id}"`);
    }
    // no inline script, event handler or style attribute: the frame lives under the strict CSP
    expect(html).not.toMatch(
      /<script>|<script(?![^>]*(?:src=|type="application\/json"))[^>]*>|\son[a-z]+=|\sstyle=/i,
    );
    const data = frameData(html);
    expect(data).toMatchObject({
      sessionId: SESSION,
      parentOrigin: SHOP,
      allowedOrigins: [SHOP],
      cardsUrl: `${BASE}/checkout/${SESSION}/cards`,
      brandNames: { visa: 'Visa', amex: 'American Express' },
    });
    expect(Object.keys(data.messages)).toEqual(expect.arrayContaining(['card_ending', 'remove_card_label']));
  });

  it('carries the saved-card template with every optional part marked for the script', () => {
    const html = renderSdkFrame(frameView());
    const template = /<template id="tpl-saved-card">([\s\S]*?)<\/template>/.exec(html)?.[1] ?? '';
    for (const slot of [
      'brand',
      'digits',
      'expiry',
      'name',
      'preferred',
      'expired',
      'cvv-field',
      'remove',
      'lock',
    ]) {
      expect({ slot, present: template.includes(`data-slot="${slot}"`) }).toEqual({ slot, present: true });
    }
    expect(template).toContain('id="saved-cvv-__I__"');
    expect(template).toContain('id="remove-card-__I__"');
  });

  it('shows a closed session as its outcome, in Arabic right to left when asked', () => {
    const html = renderSdkFrame(
      frameView({
        payable: false,
        state: 'paid',
        language: 'ar',
        outcome: { result: 'success', state: 'paid', message: '', referenceNumber: 'TP1' },
      }),
    );
    expect(html).toContain('<html lang="ar" dir="rtl">');
    expect(html).toContain(dictionaries.ar.title_success);
    expect(html).not.toContain('id="pay-form"');
    const back = renderChallengeReturn('en');
    expect(back).toContain('<script src="/static/sdk-challenge-done.js" defer></script>');
    expect(back).not.toContain('checkout-data');
  });
});

interface FrameHelpers {
  isValidSetup(setup: unknown, data: { sessionId: string; cardsUrl: string }): boolean;
  themeRules(theme: unknown): string[];
  callbackOf(action: unknown, context: unknown, data: unknown): { callback: string; data: any } | null;
}

function frameHelpers(): FrameHelpers {
  const mod = { exports: {} as FrameHelpers };
  vm.runInNewContext(fs.readFileSync(path.join(staticDir, 'sdk-frame.js'), 'utf8'), { module: mod });
  return mod.exports;
}

describe('sdk-frame.js', () => {
  const helpers = frameHelpers();
  const record = {
    _id: SESSION,
    session_id: SESSION,
    merchant_id: 'demo',
    type: 'e_commerce',
    amount: '20.230',
    currency_code: 'KWD',
    pg_codes: ['ottu_pg_kwd_tkn'],
    gateways: DEMO_GATEWAY_CONFIGS.slice(0, 1),
    expiration_time: '1 00:00:00',
    expires_at: '2030-01-02T00:00:00.000Z',
    language: 'en',
    payment_type: 'one_off',
    operation: 'purchase',
    state: 'pending',
    attempts: [],
    customer_id: 'c1',
    created_at: '2030-01-01T00:00:00.000Z',
    updated_at: '2030-01-01T00:00:00.000Z',
  } as PaymentRecord;
  const token = 'b'.repeat(40);
  const preload = JSON.parse(
    JSON.stringify(
      sdkSetupPreload({
        record,
        cards: [
          {
            card: {
              token,
              customer_id: 'c1',
              brand: 'visa',
              name_on_card: 'T',
              last4: '4242',
              expiry_month: '12',
              expiry_year: '39',
              pg_code: 'ottu_pg_kwd_tkn',
              agreements: [],
            },
            heldAgreements: [],
          },
        ],
        publicBaseUrl: BASE,
        now: new Date('2030-01-01T00:00:00Z'),
      }),
    ),
  );
  const data = { sessionId: SESSION, cardsUrl: `${BASE}/checkout/${SESSION}/cards` };

  it('renders from a preload only when it is this payable session in the expected shape', () => {
    expect(helpers.isValidSetup(preload, data)).toBe(true);
    const broken = (change: (p: any) => void) => {
      const copy = JSON.parse(JSON.stringify(preload));
      change(copy);
      return helpers.isValidSetup(copy, data);
    };
    expect(helpers.isValidSetup(null, data)).toBe(false);
    expect(helpers.isValidSetup({ session_id: 'not-this-session' }, data)).toBe(false);
    expect(broken((p) => (p.session_id = 'c'.repeat(64)))).toBe(false);
    expect(broken((p) => (p.state = 'paid'))).toBe(false);
    expect(broken((p) => (p.payment_methods = []))).toBe(false);
    expect(broken((p) => (p.cards[0].token = '<img src=x>'))).toBe(false);
    expect(broken((p) => (p.cards[0].cvv_required = 'yes'))).toBe(false);
    expect(broken((p) => (p.cards[0].delete_url = 'https://evil.example/steal'))).toBe(false);
    expect(broken((p) => delete p.cards)).toBe(false);
    expect(broken((p) => (p.cards[0].delete_url = null))).toBe(true);
  });

  it("applies Ottu's theme keys that exist in a card form, nothing that could load or break out", () => {
    expect(
      helpers.themeRules({
        'pay-button': { background: 'black', color: 'white' },
        main: { background: '#d4d4d461' },
        applePay: { buttonColor: 'black' },
        'amount-box': { background: 'url(https://evil.example/x.png)', display: 'none' },
        methods: { 'background;color': 'red', border: 'x} body{display:none' },
        'ccv-input': { color: 'red', expression: 'expression(alert(1))' },
      }),
    ).toEqual([
      '.pay-button { background: black !important; color: white !important }',
      'body.embedded, .checkout--embedded { background: #d4d4d461 !important }',
      '.summary { display: none !important }',
      '.saved-cvv__input, #cc-csc { color: red !important }',
    ]);
    expect(helpers.themeRules('dark')).toEqual([]);
  });

  it("turns answers into Ottu's callbacks: success, canceled (try again), error (a new session)", () => {
    const frame = { sessionId: SESSION, orderNo: 'ORD-1', messages: { network_error: 'offline' } };
    const body = {
      result: 'success',
      state: 'paid',
      message: 'ok',
      reference_number: 'TP1',
      redirect_url: 'https://s/x',
    };
    expect(helpers.callbackOf({ kind: 'success', body }, { method: 'token', pgCode: 'p' }, frame)).toEqual({
      callback: 'success',
      data: {
        status: 'success',
        message: 'ok',
        session_id: SESSION,
        order_no: 'ORD-1',
        reference_number: 'TP1',
        redirect_url: 'https://s/x',
        form_of_payment: 'token_pay',
        challenge_occurred: false,
        payment_gateway_info: {
          pg_code: 'p',
          pg_name: 'tokenpay',
          pg_response: { state: 'paid', result: 'success' },
        },
      },
    });
    const declined = { result: 'failed', state: 'attempted', message: 'declined' };
    expect(
      helpers.callbackOf({ kind: 'retry', body: declined, message: 'declined' }, { method: 'card' }, frame),
    ).toMatchObject({
      callback: 'cancel',
      data: { status: 'canceled', message: 'declined', form_of_payment: 'jazz' },
    });
    expect(
      helpers.callbackOf(
        { kind: 'final', body: { ...declined, state: 'failed' } },
        { method: 'card', challenge: true },
        frame,
      ),
    ).toMatchObject({ callback: 'error', data: { status: 'error', challenge_occurred: true } });
    expect(helpers.callbackOf({ kind: 'detail', status: 409, message: 'closed' }, {}, frame)).toMatchObject({
      callback: 'error',
    });
    expect(helpers.callbackOf({ kind: 'detail', status: 423, message: 'locked' }, {}, frame)).toMatchObject({
      callback: 'cancel',
    });
    expect(helpers.callbackOf({ kind: 'network' }, {}, frame)).toMatchObject({
      callback: 'error',
      data: { message: 'offline' },
    });
    expect(helpers.callbackOf({ kind: 'fields', errors: {} }, {}, frame)).toBeNull();
    expect(helpers.callbackOf({ kind: 'pending', body: {} }, {}, frame)).toBeNull();
  });
});

/** The SDK script in a VM with just enough DOM: a script tag, a container, an iframe. */
function loadSdk(callbacks: Record<string, jest.Mock>) {
  const listeners: Array<(event: unknown) => void> = [];
  const posted: Array<{ message: any; origin: string }> = [];
  const contentWindow = {
    postMessage: (message: unknown, origin: string) => posted.push({ message, origin }),
  };
  const iframe: any = {
    style: {},
    attributes: {} as Record<string, string>,
    setAttribute(name: string, value: string) {
      this.attributes[name] = value;
    },
    addEventListener: () => undefined,
    contentWindow,
    parentNode: null,
  };
  const container: any = {
    textContent: 'x',
    appendChild(child: any) {
      child.parentNode = this;
    },
    removeChild: () => undefined,
    dispatchEvent: jest.fn(),
  };
  const window: any = {
    location: { origin: SHOP },
    addEventListener: (type: string, listener: (event: unknown) => void) => {
      if (type === 'message') listeners.push(listener);
    },
    removeEventListener: () => undefined,
    ...callbacks,
  };
  const document = {
    currentScript: {
      getAttribute: (name: string) =>
        ({ 'data-success': 'onSuccess', 'data-error': 'onError', 'data-cancel': 'onCancel' })[name] ?? null,
    },
    getElementById: (id: string) => (id === 'checkout' ? container : null),
    querySelector: () => null,
    createElement: () => iframe,
  };
  window.document = document;
  vm.runInNewContext(fs.readFileSync(sdkSourceFile, 'utf8'), {
    window,
    document,
    URL,
    URLSearchParams,
    Promise,
    setTimeout,
    clearTimeout,
    console,
    CustomEvent: class {},
  });
  const emit = (event: unknown) => listeners.forEach((l) => l(event));
  return { Checkout: window.Checkout, iframe, posted, emit, contentWindow };
}

describe('the SDK script (checkout-sdk.js)', () => {
  it("has Ottu's interface and builds the frame's URL from merchant_id, the session and the public key", () => {
    const sdk = loadSdk({});
    expect(Object.keys(sdk.Checkout).sort()).toEqual(['init', 'reload', 'showPopup']);
    expect(() => sdk.Checkout.init({ selector: 'checkout', merchant_id: 'pay.example' })).toThrow(
      /session_id/,
    );
    sdk.Checkout.init({
      selector: 'checkout',
      merchant_id: 'pay.example',
      session_id: SESSION,
      apiKey: 'pk_0123456789ab_x',
      lang: 'ar',
      formsOfPayment: ['tokenPay', 'applePay'],
    });
    const url = new URL(sdk.iframe.src);
    expect(url.origin).toBe('https://pay.example');
    expect(url.pathname).toBe(`/checkout/v3/frame/${SESSION}`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      pk: 'pk_0123456789ab_x',
      origin: SHOP,
      display: 'column',
      fop: 'tokenPay',
      lang: 'ar',
    });
    expect(sdk.iframe.title).toBe('نموذج دفع آمن');
    // local development: merchant_id may carry the scheme
    sdk.Checkout.init({
      selector: '#checkout',
      merchant_id: 'http://127.0.0.1:3000',
      session_id: SESSION,
      apiKey: 'k',
    });
    expect(new URL(sdk.iframe.src).origin).toBe('http://127.0.0.1:3000');
  });

  it("hears only the frame's window from the frame's origin, and writes only to that origin", () => {
    const onSuccess = jest.fn();
    const sdk = loadSdk({ onSuccess });
    const preload = { session_id: SESSION };
    sdk.Checkout.init({
      selector: 'checkout',
      merchant_id: 'pay.example',
      session_id: SESSION,
      apiKey: 'k',
      setupPreload: preload,
      theme: { 'pay-button': { background: 'black' } },
    });
    const result = {
      source: 'tokenpay-checkout',
      type: 'result',
      callback: 'success',
      data: { status: 'success' },
    };
    sdk.emit({ origin: 'https://evil.example', source: sdk.contentWindow, data: result });
    sdk.emit({ origin: 'https://pay.example', source: {}, data: result });
    sdk.emit({
      origin: 'https://pay.example',
      source: sdk.contentWindow,
      data: { ...result, source: 'other' },
    });
    expect(onSuccess).not.toHaveBeenCalled();
    sdk.emit({ origin: 'https://pay.example', source: sdk.contentWindow, data: result });
    expect(onSuccess).toHaveBeenCalledWith({ status: 'success' });

    sdk.emit({
      origin: 'https://pay.example',
      source: sdk.contentWindow,
      data: { source: 'tokenpay-checkout', type: 'ready' },
    });
    expect(sdk.posted).toEqual([
      {
        origin: 'https://pay.example',
        message: {
          source: 'tokenpay-sdk',
          type: 'setup',
          setupPreload: preload,
          theme: { 'pay-button': { background: 'black' } },
        },
      },
    ]);
    // the preload is for the first rendering only (after 3-D Secure the frame fetches)
    sdk.emit({
      origin: 'https://pay.example',
      source: sdk.contentWindow,
      data: { source: 'tokenpay-checkout', type: 'ready' },
    });
    expect(sdk.posted[1]!.message.setupPreload).toBeUndefined();
    // reload renders the session again, fetched fresh: the same frame URL, no preload
    const src = sdk.iframe.src;
    sdk.Checkout.reload();
    expect(sdk.iframe.src).toBe(src);
    sdk.emit({
      origin: 'https://pay.example',
      source: sdk.contentWindow,
      data: { source: 'tokenpay-checkout', type: 'ready' },
    });
    expect(sdk.posted.at(-1)!.message).toEqual({
      source: 'tokenpay-sdk',
      type: 'setup',
      setupPreload: undefined,
      theme: { 'pay-button': { background: 'black' } },
    });
    sdk.posted.length = 2;
    sdk.Checkout.showPopup('error', 'Try again', { code: 1 });
    expect(sdk.posted[2]).toEqual({
      origin: 'https://pay.example',
      message: {
        source: 'tokenpay-sdk',
        type: 'popup',
        popupType: 'error',
        message: 'Try again',
        pgResponse: { code: 1 },
      },
    });
  });
});

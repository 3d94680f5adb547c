import fs from 'node:fs';
import path from 'node:path';
import { escapeHtml, isSafeUrl, jsonForScriptBlock } from '../../src/web/html';
import { dictionaries } from '../../src/web/i18n';
import { currencyLabel, formatAmount, renderCheckoutPage, renderNotFoundPage } from '../../src/web/page';
import { staticDir } from '../../src/web/static';
import { cvvLength, type CardBrand } from '../../src/domain/card';
import type { CheckoutView, SavedCardView } from '../../src/web/view';

function card(overrides: Partial<SavedCardView>): SavedCardView {
  return {
    token: 'tok_default',
    brand: 'visa',
    last4: '4242',
    // as the checkout route computes it from the brand (domain/card.ts)
    cvvLength: cvvLength(overrides.brand ?? 'visa'),
    expiry: '01/39',
    cvvRequired: true,
    isExpired: false,
    isPreferred: false,
    ...overrides,
  };
}

function view(overrides: Partial<CheckoutView> = {}): CheckoutView {
  return {
    sessionId: 'sess_0123456789abcdef0123456789abcdef',
    merchantName: 'Demo Store',
    language: 'en',
    amount: '20.230',
    currencyCode: 'KWD',
    orderNo: 'ORD-1001',
    state: 'pending',
    payable: true,
    paymentMethods: [{ code: 'ottu_pg_kwd_tkn', name: 'Card (KNET)', canSaveCard: true }],
    savedCards: [],
    submitUrl: '/checkout/sess_0123456789abcdef0123456789abcdef/submit',
    csrfToken: 'csrf-token-value',
    staticBase: '/static',
    ...overrides,
  };
}

/** The attributes of the first tag matching `selector` (an `id` or a regex over the tag). */
function tag(html: string, id: string): string {
  const m = new RegExp(`<[a-z]+[^>]*\\sid="${id}"[^>]*>`).exec(html);
  if (!m) throw new Error(`no element #${id}`);
  return m[0];
}

function checkoutData(html: string): Record<string, unknown> {
  const m = /<script type="application\/json" id="checkout-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no checkout-data block');
  return JSON.parse(m[1] as string) as Record<string, unknown>;
}

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>'&`;

describe('escapeHtml & friends', () => {
  it('escapes the five HTML specials (and backtick)', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });

  it('makes JSON safe inside a script block', () => {
    const out = jsonForScriptBlock({ s: '</script><!-- &' });
    expect(out).not.toMatch(/[<>&]/);
    expect(JSON.parse(out)).toEqual({ s: '</script><!-- &' });
  });

  it('accepts only http(s) and same-origin URLs', () => {
    expect(isSafeUrl('https://shop.example/return?x=1')).toBe(true);
    expect(isSafeUrl('/checkout/abc')).toBe(true);
    expect(isSafeUrl('javascript:alert(1)')).toBe(false);
    expect(isSafeUrl('//evil.example')).toBe(false);
    expect(isSafeUrl('data:text/html,hi')).toBe(false);
    expect(isSafeUrl(undefined)).toBe(false);
  });
});

describe('formatAmount / currencyLabel', () => {
  it('groups the integer part without floats and keeps every decimal', () => {
    expect(formatAmount('20.230', 'en')).toBe('20.230');
    expect(formatAmount('1234567.890', 'en')).toBe('1,234,567.890');
    expect(formatAmount('1000', 'en')).toBe('1,000');
    expect(formatAmount('0.10', 'en')).toBe('0.10');
    expect(formatAmount('00012.5', 'en')).toBe('12.5');
    // beyond double precision: still exact
    expect(formatAmount('90071992547409931.001', 'en')).toBe('90,071,992,547,409,931.001');
    expect(formatAmount('1234.500', 'ar')).toBe('1,234.500');
    expect(formatAmount('not-a-number', 'en')).toBe('not-a-number');
  });

  it('labels the currency with its code in English and in Arabic script in Arabic', () => {
    expect(currencyLabel('KWD', 'en')).toBe('KWD');
    expect(currencyLabel('KWD', 'ar')).toMatch(/[\u0600-\u06ff]/);
    expect(currencyLabel('USD', 'ar')).toMatch(/[\u0600-\u06ff]/);
    expect(currencyLabel('ZZZ', 'ar')).toBe('ZZZ');
  });

  it('never uses parseFloat/Number on the amount', () => {
    const src = fs.readFileSync(path.join(__dirname, '../../src/web/page.ts'), 'utf8');
    expect(src).not.toMatch(/parseFloat|Number\(\s*view\.amount|Number\(\s*amount/);
  });
});

describe('renderCheckoutPage', () => {
  it('is a full HTML5 document with the stylesheet and script from staticBase', () => {
    const html = renderCheckoutPage(view());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<html lang="en" dir="ltr">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<link rel="stylesheet" href="/static/checkout.css">');
    expect(html).toContain('<script src="/static/checkout.js" defer></script>');
    expect(html).toContain('Demo Store');
    expect(html).toContain('20.230');
    expect(html).toContain('KWD');
    expect(html).toContain('ORD-1001');
    expect(html).toContain('action="/checkout/sess_0123456789abcdef0123456789abcdef/submit"');
  });

  it('escapes a hostile merchant name, order no and method name everywhere', () => {
    const html = renderCheckoutPage(
      view({
        merchantName: HOSTILE,
        orderNo: HOSTILE,
        paymentMethods: [
          { code: 'a"b', name: HOSTILE, canSaveCard: true },
          { code: 'c', name: 'Other', canSaveCard: false },
        ],
        savedCards: [card({ token: 'tok_"><script>', brand: '<b>' as CardBrand })],
      }),
    );
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>');
    expect(html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&amp;',
    );
    expect(html).toContain('value="a&quot;b"');
    // the JSON block can't be closed early either
    expect(checkoutData(html).merchantName).toBe(HOSTILE);
    const closed = renderCheckoutPage(
      view({
        merchantName: HOSTILE,
        orderNo: HOSTILE,
        payable: false,
        state: 'paid',
        outcome: { result: 'success', state: 'paid', message: HOSTILE, referenceNumber: HOSTILE },
      }),
    );
    expect(closed).not.toContain('<script>alert');
    expect(closed).not.toContain('<img src=x');
  });

  it('has no inline script, inline event handler or style attribute (strict CSP)', () => {
    const pages = [
      renderCheckoutPage(
        view({
          paymentMethods: [
            { code: 'a', name: 'A', canSaveCard: false },
            { code: 'b', name: 'B', canSaveCard: true },
          ],
          savedCards: [card({ isPreferred: true }), card({ token: 't2', isExpired: true })],
          outcome: { result: 'failed', state: 'attempted', message: 'Declined' },
        }),
      ),
      renderCheckoutPage(view({ language: 'ar' })),
      renderCheckoutPage(
        view({
          payable: false,
          state: 'paid',
          outcome: {
            result: 'success',
            state: 'paid',
            message: 'ok',
            referenceNumber: 'R1',
            redirectUrl: 'https://x.example',
          },
        }),
      ),
      renderNotFoundPage('en'),
      renderNotFoundPage('ar'),
    ];
    for (const html of pages) {
      const scripts = html.match(/<script\b[^>]*>/g) ?? [];
      for (const s of scripts) expect(s).toMatch(/\ssrc="[^"]+"|type="application\/json"/);
      // no executable script bodies
      expect(html).not.toMatch(/<script(?![^>]*(?:\ssrc=|type="application\/json"))[^>]*>/);
      expect(html).not.toMatch(/<[^>]+\son[a-z]+\s*=/i);
      expect(html).not.toMatch(/<[^>]+\sstyle\s*=/i);
      expect(html).not.toMatch(/<style\b/i);
      expect(html).not.toMatch(/javascript:/i);
      // no external resources
      expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\/(?!x\.example)/);
    }
  });

  it('puts the data the script needs in a non-executed JSON block', () => {
    const html = renderCheckoutPage(view());
    const data = checkoutData(html);
    expect(data.submitUrl).toBe('/checkout/sess_0123456789abcdef0123456789abcdef/submit');
    expect(data.csrfToken).toBe('csrf-token-value');
    expect(data.language).toBe('en');
    expect((data.messages as Record<string, string>).err_number_invalid).toBe(
      dictionaries.en.err_number_invalid,
    );
  });

  it('uses the standard autocomplete tokens, labels and error slots on the card form', () => {
    const html = renderCheckoutPage(view());
    for (const [id, token] of [
      ['cc-name', 'cc-name'],
      ['cc-number', 'cc-number'],
      ['cc-exp', 'cc-exp'],
      ['cc-csc', 'cc-csc'],
    ] as const) {
      const input = tag(html, id);
      expect(input).toContain(`autocomplete="${token}"`);
      expect(input).toMatch(new RegExp(`aria-describedby="[^"]*${id}-error`));
      expect(html).toContain(`<label class="field__label" for="${id}">`);
      expect(html).toContain(`id="${id}-error"`);
    }
    expect(tag(html, 'cc-number')).toContain('inputmode="numeric"');
    expect(tag(html, 'cc-csc')).toContain('inputmode="numeric"');
    expect(tag(html, 'status')).toContain('aria-live="polite"');
    // the Pay button is enabled by the script (no accidental native submit without JS)
    expect(tag(html, 'pay-button')).toContain('disabled');
    expect(html).toContain(
      'Pay <bdi class="amount-text"><span class="amount">20.230</span> <span class="currency">KWD</span></bdi>',
    );
  });

  it('renders a radio group of pg_codes only when there is more than one method', () => {
    const one = renderCheckoutPage(view());
    expect(one).toContain(
      '<input type="hidden" name="pg_code" value="ottu_pg_kwd_tkn" data-can-save-card="true">',
    );
    expect(one).not.toContain('type="radio" name="pg_code"');

    const two = renderCheckoutPage(
      view({
        paymentMethods: [
          { code: 'credit-card', name: 'Credit card', canSaveCard: false },
          { code: 'ottu_pg_kwd_tkn', name: 'Saved-card gateway', canSaveCard: true },
        ],
      }),
    );
    expect(two).toMatch(/type="radio" name="pg_code" value="credit-card" data-can-save-card="false" checked/);
    expect(two).toMatch(/type="radio" name="pg_code" value="ottu_pg_kwd_tkn" data-can-save-card="true">/);
    expect(two).not.toContain('type="hidden" name="pg_code"');
    // the save box exists (for the second method) but starts hidden for the first
    expect(tag(two, 'save-card-field')).toContain('hidden');
  });

  it('offers "Save your card" only when the method can save cards', () => {
    expect(renderCheckoutPage(view())).toContain('Save your card for future payments');
    expect(tag(renderCheckoutPage(view()), 'save-card-field')).not.toContain('hidden');
    const no = renderCheckoutPage(
      view({ paymentMethods: [{ code: 'credit-card', name: 'Card', canSaveCard: false }] }),
    );
    expect(no).not.toContain('Save your card');
    expect(no).not.toContain('id="save-card"');
  });

  describe('saved cards', () => {
    const cards: SavedCardView[] = [
      card({
        token: 'tok_mc',
        brand: 'mastercard',
        last4: '0008',
        expiry: '05/31',
        cvvRequired: false,
      }),
      card({ token: 'tok_old', brand: 'visa', last4: '1111', expiry: '01/20', isExpired: true }),
      card({ token: 'tok_visa', brand: 'visa', last4: '4242', expiry: '01/39', isPreferred: true }),
      card({ token: 'tok_amex', brand: 'amex', last4: '0005', expiry: '12/30', cvvRequired: true }),
    ];
    const html = renderCheckoutPage(view({ savedCards: cards }));

    it('lists them preferred first, the preferred one pre-selected', () => {
      const order = [...html.matchAll(/name="source" value="([^"]+)"/g)].map((m) => m[1]);
      expect(order).toEqual(['tok_visa', 'tok_mc', 'tok_old', 'tok_amex', 'new']);
      expect(html).toMatch(/name="source" value="tok_visa"[^>]*\schecked/);
      expect(html).not.toMatch(/name="source" value="(?:tok_mc|tok_old|tok_amex|new)"[^>]*\schecked/);
      // a saved card is selected, so the new-card form starts hidden
      expect(tag(html, 'new-card')).toContain('hidden');
      expect(html).toContain('Use a new card');
    });

    it('shows only brand, last 4 and expiry', () => {
      expect(html).toContain(
        '<span class="card-brand card-brand--visa">Visa</span> <span class="card-meta"><bdi class="card-digits">**** 4242</bdi> <span class="card-sep">·</span> <bdi class="card-expiry">01/39</bdi>',
      );
      expect(html).toContain(
        'Mastercard</span> <span class="card-meta"><bdi class="card-digits">**** 0008</bdi>',
      );
      expect(html).toContain(
        'American Express</span> <span class="card-meta"><bdi class="card-digits">**** 0005</bdi>',
      );
      expect(html).toContain('Visa ending in 4242, expires 01/39');
      // even if the API handed over more digits, only the last four are rendered
      const leaky = renderCheckoutPage(view({ savedCards: [card({ last4: '424242******4242' })] }));
      expect(leaky).not.toContain('424242');
      expect(leaky).toContain('**** 4242');
    });

    it('disables expired cards and marks them "Expired"', () => {
      expect(html).toMatch(/name="source" value="tok_old"[^>]*\sdisabled/);
      expect(html).not.toMatch(/name="source" value="(?:tok_visa|tok_mc|tok_amex)"[^>]*\sdisabled/);
      expect(html).toContain('<span class="badge badge--expired">Expired</span>');
      expect(html).toContain('<span class="badge badge--preferred">Preferred</span>');
    });

    it('has a CVV box only for cards that require one (shown for the selected card)', () => {
      const boxes = [...html.matchAll(/<div class="field saved-cvv" id="saved-cvv-field-(\d)"([^>]*)>/g)];
      // indexes in display order: 0 visa (cvv, selected), 1 mc (no cvv), 2 expired, 3 amex (cvv)
      expect(boxes.map((b) => b[1])).toEqual(['0', '3']);
      expect(boxes[0]?.[2]).not.toContain('hidden');
      expect(boxes[1]?.[2]).toContain('hidden');
      expect(tag(html, 'saved-cvv-0')).toContain('autocomplete="cc-csc"');
      expect(tag(html, 'saved-cvv-0')).toContain('maxlength="3"');
      expect(tag(html, 'saved-cvv-3')).toContain('maxlength="4"');
      expect(html).toMatch(/value="tok_mc"[^>]*data-cvv-required="false"/);
      expect(html).toMatch(/value="tok_visa"[^>]*data-cvv-required="true"/);
    });

    it('pre-selects "Use a new card" when every saved card is expired', () => {
      const all = renderCheckoutPage(view({ savedCards: [card({ isExpired: true, isPreferred: true })] }));
      expect(all).toMatch(/name="source" value="new"[^>]*\schecked/);
      expect(tag(all, 'new-card')).not.toContain('hidden');
    });

    it('passes the card pg_code when known', () => {
      const withPg = renderCheckoutPage(view({ savedCards: [card({ pgCode: 'ottu_pg_kwd_tkn_nocvv' })] }));
      expect(withPg).toContain('data-pg-code="ottu_pg_kwd_tkn_nocvv"');
    });
  });

  describe('a customer removing saved cards', () => {
    const html = renderCheckoutPage(
      view({
        savedCards: [
          card({ token: 'tok_free', isPreferred: true, deleteUrl: '/checkout/s/cards/tok_free' }),
          card({
            token: 'tok_held',
            brand: 'mastercard',
            last4: '0008',
            lockedReason: 'Pays automatic payments.',
          }),
        ],
      }),
    );

    it('offers "Remove" on a card that may be removed, named after the card for screen readers', () => {
      expect(tag(html, 'remove-card-0')).toContain('data-delete-url="/checkout/s/cards/tok_free"');
      expect(tag(html, 'remove-card-0')).toContain('aria-label="Remove Visa ending in 4242, expires 01/39"');
      expect(html).not.toContain('id="remove-card-1"');
      // the confirmation step: a dialog, keeping the card is one press away
      expect(tag(html, 'remove-dialog')).toContain('aria-labelledby="remove-title"');
      expect(html).toContain('>Keep card</button>');
      expect(html).toContain('>Remove card</button>');
    });

    it('shows a card held by an auto-debit agreement as locked, with why, described on its radio', () => {
      expect(html).toMatch(/value="tok_held"[^>]*aria-describedby="card-lock-1"/);
      expect(tag(html, 'card-lock-1')).toBeDefined();
      expect(html).toContain('<span class="badge badge--locked">Locked</span>');
      expect(html).toContain('Pays automatic payments.');
      expect(html).not.toMatch(/value="tok_free"[^>]*aria-describedby/);
    });

    it('has no dialog when no card can be removed', () => {
      expect(renderCheckoutPage(view({ savedCards: [card({})] }))).not.toContain('remove-dialog');
    });
  });

  it('without saved cards there is no saved-card list and the card form is visible', () => {
    const html = renderCheckoutPage(view());
    expect(html).not.toContain('name="source"');
    expect(tag(html, 'new-card')).not.toContain('hidden');
  });

  it('shows the previous failed attempt while still payable', () => {
    const html = renderCheckoutPage(
      view({
        state: 'attempted',
        outcome: { result: 'failed', state: 'attempted', message: 'Card declined' },
      }),
    );
    expect(html).toContain('id="pay-form"');
    expect(html).toContain('Your previous payment attempt was not completed');
    expect(html).toContain('Card declined');
  });

  it('renders Arabic right-to-left with Arabic strings', () => {
    const html = renderCheckoutPage(
      view({
        language: 'ar',
        savedCards: [card({ isPreferred: true }), card({ token: 'x', isExpired: true })],
      }),
    );
    expect(html).toContain('<html lang="ar" dir="rtl">');
    for (const key of [
      'name_on_card',
      'card_number',
      'expiry',
      'cvv',
      'save_card',
      'use_new_card',
      'expired',
    ] as const) {
      expect(html).toContain(dictionaries.ar[key]);
    }
    expect(html).toContain('ادفع');
    expect(html).toContain('د.ك.');
    expect(html).not.toContain('Name on card');
    expect(html).not.toContain('Use a new card');
    expect(checkoutData(html).language).toBe('ar');
    expect((checkoutData(html).messages as Record<string, string>).err_cvv_required).toBe(
      dictionaries.ar.err_cvv_required,
    );
  });

  describe('closed sessions', () => {
    it.each([
      ['paid', 'success', 'Payment successful'],
      ['authorized', 'success', 'Payment authorized'],
      ['failed', 'failed', 'Payment failed'],
      ['expired', 'closed', 'This payment link has expired'],
      ['canceled', 'closed', 'This payment was canceled'],
    ])('%s: shows the outcome and no form', (state, variant, title) => {
      const html = renderCheckoutPage(
        view({
          state,
          payable: false,
          outcome: {
            result: variant === 'success' ? 'success' : 'failed',
            state,
            message: `Message for ${state}`,
            referenceNumber: 'TP-REF-42',
          },
        }),
      );
      expect(html).not.toContain('<form');
      expect(html).not.toContain('cc-number');
      expect(html).not.toContain('checkout.js');
      expect(html).not.toContain('checkout-data');
      expect(html).toContain(`class="outcome outcome--${variant}"`);
      expect(html).toContain(title);
      // a success is said by its title; other outcomes explain themselves
      if (variant === 'success') expect(html).not.toContain(`Message for ${state}`);
      else expect(html).toContain(`Message for ${state}`);
      expect(html).toContain('Reference number');
      expect(html).toContain('TP-REF-42');
      expect(html).toContain('Demo Store');
      expect(html).toContain('20.230');
    });

    it('links back to a safe redirect_url only', () => {
      const base = { payable: false, state: 'paid' };
      const ok = renderCheckoutPage(
        view({
          ...base,
          outcome: {
            result: 'success',
            state: 'paid',
            message: '',
            redirectUrl: 'https://shop.example/r?a=1&b=2',
          },
        }),
      );
      expect(ok).toContain('href="https://shop.example/r?a=1&amp;b=2"');
      expect(ok).toContain('Return to Demo Store');
      const bad = renderCheckoutPage(
        view({
          ...base,
          outcome: { result: 'success', state: 'paid', message: '', redirectUrl: 'javascript:alert(1)' },
        }),
      );
      expect(bad).not.toContain('Return to');
    });

    it('renders a closed session without an outcome record', () => {
      const html = renderCheckoutPage(view({ payable: false, state: 'expired' }));
      expect(html).toContain('This payment link has expired');
      expect(html).toContain('Contact Demo Store');
      expect(html).not.toContain('<form');
    });

    it('renders the Arabic outcome', () => {
      const html = renderCheckoutPage(
        view({
          language: 'ar',
          payable: false,
          state: 'paid',
          outcome: { result: 'success', state: 'paid', message: '', referenceNumber: 'R-1' },
        }),
      );
      expect(html).toContain('dir="rtl"');
      expect(html).toContain(dictionaries.ar.title_success);
      expect(html).toContain(dictionaries.ar.reference_number);
    });

    it('treats a session without payment methods as not payable', () => {
      const html = renderCheckoutPage(view({ paymentMethods: [] }));
      expect(html).not.toContain('<form');
    });
  });
});

describe('renderNotFoundPage', () => {
  it('is friendly in both languages', () => {
    const en = renderNotFoundPage('en');
    expect(en).toContain('<html lang="en" dir="ltr">');
    expect(en).toContain('This payment link does not exist');
    expect(en).toContain('href="/static/checkout.css"');
    expect(en).not.toContain('<form');
    const ar = renderNotFoundPage('ar', '/assets/');
    expect(ar).toContain('<html lang="ar" dir="rtl">');
    expect(ar).toContain(dictionaries.ar.not_found_title);
    expect(ar).toContain('href="/assets/checkout.css"');
  });
});

describe('i18n', () => {
  it('has identical key sets in every language, none empty', () => {
    const en = Object.keys(dictionaries.en).sort();
    const ar = Object.keys(dictionaries.ar).sort();
    expect(ar).toEqual(en);
    for (const dict of [dictionaries.en, dictionaries.ar]) {
      for (const value of Object.values(dict)) expect(value.trim()).not.toBe('');
    }
  });

  it('uses the same placeholders in both languages', () => {
    const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const key of Object.keys(dictionaries.en) as (keyof typeof dictionaries.en)[]) {
      expect([key, placeholders(dictionaries.ar[key])]).toEqual([key, placeholders(dictionaries.en[key])]);
    }
  });

  it('Arabic strings are in Arabic script', () => {
    const latinOnly = Object.entries(dictionaries.ar).filter(([, v]) => !/[\u0600-\u06ff]/.test(v));
    expect(latinOnly).toEqual([]);
  });
});

describe('staticDir', () => {
  it('points at src/web/static with the CSS and JS', () => {
    expect(path.isAbsolute(staticDir)).toBe(true);
    expect(fs.existsSync(path.join(staticDir, 'checkout.css'))).toBe(true);
    expect(fs.existsSync(path.join(staticDir, 'checkout.js'))).toBe(true);
  });

  it('the CSS uses logical properties for layout (RTL-aware) and loads nothing external', () => {
    const css = fs.readFileSync(path.join(staticDir, 'checkout.css'), 'utf8');
    expect(css).not.toMatch(/@import|url\(|@font-face/);
    expect(css).not.toMatch(/(?:margin|padding|border)-(?:left|right)\b/);
    expect(css).not.toMatch(/text-align:\s*left/);
  });
});

/**
 * Server-side rendering of the hosted checkout page (contract §2.1) and the "link not found" page.
 *
 * The HTML is served under a strict CSP (`script-src 'self'; style-src 'self'`), so there is no
 * inline script, no inline event handler and no `style=` attribute anywhere: behaviour lives in
 * /static/checkout.js and looks in `#checkout-data` (a non-executed JSON block) and `data-*`
 * attributes for what it needs. Every dynamic value goes through `escapeHtml`.
 */
import { BRAND_RULES, cvvLength, type CardBrand } from '../domain/card';
import { escapeHtml as e, isSafeUrl, jsonForScriptBlock } from './html';
import { interpolate, messagesFor, type MessageKey, type Messages } from './i18n';
import type { CheckoutView, Language, OutcomeView, SavedCardView } from './view';

const SEPARATORS: Record<Language, { group: string; decimal: string }> = {
  // Arabic keeps Latin digits (CLDR's default for `ar` too) with an Arabic currency label.
  en: { group: ',', decimal: '.' },
  ar: { group: ',', decimal: '.' },
};

/**
 * Formats an exact decimal string for display by string manipulation only — never through a
 * float: "1234567.500" → "1,234,567.500". Anything that is not a plain decimal is returned as is.
 */
export function formatAmount(amount: string, language: Language): string {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) return amount;
  const { group, decimal } = SEPARATORS[language] ?? SEPARATORS.en;
  const integer = (m[1] as string).replace(/^0+(?=\d)/, '');
  const grouped = integer.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return m[2] === undefined ? grouped : `${grouped}${decimal}${m[2]}`;
}

/** "KWD" in English; the Arabic symbol ("د.ك.") or name ("دولار أمريكي") in Arabic. */
export function currencyLabel(currencyCode: string, language: Language): string {
  if (language !== 'ar') return currencyCode;
  try {
    const part = new Intl.NumberFormat('ar', { style: 'currency', currency: currencyCode })
      .formatToParts(0)
      .find((p) => p.type === 'currency');
    const symbol = part?.value.replace(/[\u200e\u200f\u061c]/g, '').trim();
    if (symbol && /[\u0600-\u06ff]/.test(symbol)) return symbol;
    const name = new Intl.DisplayNames('ar', { type: 'currency' }).of(currencyCode);
    if (name && name !== currencyCode) return name;
  } catch {
    // unknown / malformed currency code: fall through
  }
  return currencyCode;
}

/** A brand key's display name in the page's language. */
export function brandName(brand: CardBrand, msg: Messages): string {
  return msg[`brand_${brand}`];
}

/** Only the last four digits of a card ever reach the page. */
function last4(digits: string): string {
  return digits.replace(/\D/g, '').slice(-4);
}

/** Escapes a template's text and puts already-safe HTML in place of `{placeholders}`. */
function fillHtml(template: string, html: Record<string, string>): string {
  return template
    .split(/(\{\w+\})/)
    .map((piece) => {
      const name = /^\{(\w+)\}$/.exec(piece)?.[1];
      return name !== undefined && html[name] !== undefined ? html[name] : e(piece);
    })
    .join('');
}

/** Preferred first; otherwise the order the API gave. */
export function orderSavedCards(cards: readonly SavedCardView[]): SavedCardView[] {
  return cards
    .map((card, i) => ({ card, i }))
    .sort((a, b) => Number(b.card.isPreferred) - Number(a.card.isPreferred) || a.i - b.i)
    .map((x) => x.card);
}

/** The document's head: the stylesheets and scripts named here, from `staticBase`. */
export function documentHead(
  lang: Language,
  title: string,
  staticBase: string,
  scripts: readonly string[],
  stylesheets: readonly string[] = ['checkout.css'],
): string {
  const base = staticBase.replace(/\/+$/, '');
  return `<!DOCTYPE html>
<html lang="${lang}" dir="${lang === 'ar' ? 'rtl' : 'ltr'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light">
<title>${e(title)}</title>
${stylesheets.map((sheet) => `<link rel="stylesheet" href="${e(base)}/${e(sheet)}">`).join('\n')}
${scripts.map((script) => `<script src="${e(base)}/${e(script)}" defer></script>\n`).join('')}</head>`;
}

export function normaliseLanguage(language: string): Language {
  return language === 'ar' ? 'ar' : 'en';
}

const SUCCESS_STATES = new Set(['paid', 'authorized']);

function outcomeTitleKey(state: string, outcome?: OutcomeView): MessageKey {
  switch (state) {
    case 'paid':
      return 'title_success';
    case 'authorized':
      return 'title_authorized';
    case 'failed':
      return 'title_failed';
    case 'expired':
      return 'title_expired';
    case 'canceled':
    case 'cancelled':
      return 'title_canceled';
    case 'refunded':
      return 'title_refunded';
    case 'voided':
      return 'title_voided';
    case 'created':
    case 'pending':
      return outcome?.result === 'pending' ? 'title_pending' : 'title_closed';
    default:
      if (outcome?.result === 'success') return 'title_success';
      if (outcome?.result === 'failed') return 'title_failed';
      return 'title_closed';
  }
}

function outcomeVariant(state: string, outcome?: OutcomeView): 'success' | 'failed' | 'pending' | 'closed' {
  if (SUCCESS_STATES.has(state)) return 'success';
  if (state === 'failed') return 'failed';
  if (['expired', 'canceled', 'cancelled', 'refunded', 'voided'].includes(state)) return 'closed';
  if (outcome?.result === 'success') return 'success';
  if (outcome?.result === 'failed') return 'failed';
  if (outcome?.result === 'pending') return 'pending';
  return 'closed';
}

export function renderOutcome(
  view: Pick<CheckoutView, 'state' | 'outcome' | 'merchantName'>,
  msg: Messages,
): string {
  const state = view.state;
  const outcome = view.outcome;
  const variant = outcomeVariant(state, outcome);
  const title = msg[outcomeTitleKey(state, outcome)];
  const message =
    variant === 'success'
      ? '' // the title says it all
      : outcome?.message ||
        (variant === 'closed' || variant === 'failed'
          ? interpolate(msg.closed_body, { merchant: view.merchantName })
          : '');
  const ref = outcome?.referenceNumber
    ? `<dl class="outcome__details"><dt>${e(msg.reference_number)}</dt><dd><bdi>${e(outcome.referenceNumber)}</bdi></dd></dl>`
    : '';
  const back = isSafeUrl(outcome?.redirectUrl)
    ? `<a class="button button--secondary" href="${e(outcome?.redirectUrl)}">${e(
        interpolate(msg.return_to_merchant, { merchant: view.merchantName }),
      )}</a>`
    : '';
  return `<section class="outcome outcome--${variant}" id="outcome" data-state="${e(state)}" aria-labelledby="outcome-title">
<div class="outcome__icon" aria-hidden="true"></div>
<h2 class="outcome__title" id="outcome-title" tabindex="-1">${e(title)}</h2>
${message ? `<p class="outcome__message" dir="auto">${e(message)}</p>` : ''}
${ref}
${back}
</section>`;
}

export function renderMethods(view: CheckoutView, msg: Messages): string {
  const methods = view.paymentMethods;
  if (methods.length === 1) {
    const m = methods[0]!;
    return `<input type="hidden" name="pg_code" value="${e(m.code)}" data-can-save-card="${m.canSaveCard}">`;
  }
  const items = methods
    .map(
      (m, i) => `<label class="choice">
<input type="radio" name="pg_code" value="${e(m.code)}" data-can-save-card="${m.canSaveCard}"${i === 0 ? ' checked' : ''}>
<span class="choice__text">${e(m.name)}</span>
</label>`,
    )
    .join('\n');
  return `<fieldset class="group methods">
<legend class="group__title">${e(msg.payment_method)}</legend>
<div class="choice-list">
${items}
</div>
</fieldset>`;
}

/**
 * One saved card of the list: its radio (brand, last 4 and expiry, never more), a CVV box where
 * required, and either a "Remove" button or, for a card that pays an auto-debit agreement, why it
 * is locked. `slots` renders every optional part, marked with `data-slot`, with `__I__` for the
 * index: the template the SDK frame fills for each card of its setup object (web/frame.ts).
 */
export function renderSavedCardItem(
  card: SavedCardView,
  index: number | '__I__',
  checked: boolean,
  msg: Messages,
  slots = false,
): string {
  const i = index;
  const brand = brandName(card.brand, msg);
  const digits = last4(card.last4);
  const expiry = card.expiry;
  const disabled = card.isExpired;
  const srText = interpolate(msg.card_ending, { brand, last4: digits, expiry });
  const slot = (name: string): string => (slots ? ` data-slot="${name}"` : '');
  const cvv =
    slots || (card.cvvRequired && !disabled)
      ? `<div class="field saved-cvv" id="saved-cvv-field-${i}"${slot('cvv-field')}${checked ? '' : ' hidden'}>
<label class="field__label" for="saved-cvv-${i}">${e(msg.cvv)}</label>
<input class="input input--short saved-cvv__input" id="saved-cvv-${i}" type="text" inputmode="numeric" autocomplete="cc-csc" dir="ltr" maxlength="${card.cvvLength}" aria-describedby="saved-cvv-${i}-hint saved-cvv-${i}-error">
<p class="field__hint" id="saved-cvv-${i}-hint"${slot('cvv-hint')}>${e(card.brand === 'amex' ? msg.cvv_hint_amex : msg.cvv_hint)}</p>
<p class="field__error" id="saved-cvv-${i}-error"></p>
</div>`
      : '';
  const remove =
    slots || card.deleteUrl
      ? `<div class="card-actions"${slot('remove')}>
<button type="button" class="card-delete" id="remove-card-${i}" data-delete-url="${e(card.deleteUrl ?? '')}" aria-label="${e(
          interpolate(msg.remove_card_label, { card: srText }),
        )}"${slot('remove-button')}>${e(msg.remove_card)}</button>
</div>`
      : '';
  const lock =
    slots || card.lockedReason
      ? `<p class="card-lock" id="card-lock-${i}"${slot('lock')}><span class="badge badge--locked">${e(msg.locked)}</span> <span class="card-lock__reason"${slot('lock-reason')}>${e(card.lockedReason ?? '')}</span></p>`
      : '';
  const describedBy = slots || card.lockedReason ? ` aria-describedby="card-lock-${i}"` : '';
  return `<div class="choice choice--card${disabled ? ' choice--disabled' : ''}" data-token="${e(card.token)}">
<label class="choice__main">
<input type="radio" name="source" value="${e(card.token)}" data-brand="${e(card.brand)}" data-cvv-length="${card.cvvLength}" data-cvv-required="${card.cvvRequired && !disabled}" data-cvv-index="${i}"${card.pgCode ? ` data-pg-code="${e(card.pgCode)}"` : ''}${describedBy}${checked ? ' checked' : ''}${disabled ? ' disabled' : ''}>
<span class="choice__text">
<span class="card-line" aria-hidden="true"><span class="card-brand card-brand--${e(card.brand)}"${slot('brand')}>${e(brand)}</span> <span class="card-meta"><bdi class="card-digits"${slot('digits')}>**** ${e(digits)}</bdi> <span class="card-sep">·</span> <bdi class="card-expiry"${slot('expiry')}>${e(expiry)}</bdi></span></span>
<span class="visually-hidden"${slot('name')}>${e(srText)}</span>
${slots || card.isPreferred ? `<span class="badge badge--preferred"${slot('preferred')}>${e(msg.preferred)}</span>` : ''}${slots || disabled ? `<span class="badge badge--expired"${slot('expired')}>${e(msg.expired)}</span>` : ''}
</span>
</label>
${lock}
${cvv}
${remove}
</div>`;
}

export function renderSavedCards(cards: SavedCardView[], selected: number, msg: Messages): string {
  const items = cards.map((card, i) => renderSavedCardItem(card, i, i === selected, msg)).join('\n');
  return `<fieldset class="group saved-cards" id="saved-cards">
<legend class="group__title">${e(msg.saved_cards)}</legend>
<div class="choice-list" id="saved-card-list">
${items}
<div class="choice choice--new">
<label class="choice__main">
<input type="radio" name="source" value="new" id="source-new"${selected === -1 ? ' checked' : ''}>
<span class="choice__text">${e(msg.use_new_card)}</span>
</label>
</div>
</div>
</fieldset>`;
}

/**
 * The confirmation step of removing a saved card: a modal dialog (focus stays inside, Escape
 * keeps the card). checkout.js fills in which card and sends the removal.
 */
export function renderRemoveDialog(msg: Messages): string {
  return `<dialog class="dialog remove-dialog" id="remove-dialog" aria-labelledby="remove-title" aria-describedby="remove-message">
<h2 class="dialog__title" id="remove-title">${e(msg.remove_title)}</h2>
<p class="dialog__message" id="remove-message" dir="auto"></p>
<div class="dialog__actions">
<button type="button" class="button button--danger" id="remove-confirm">${e(msg.remove_confirm)}</button>
<button type="button" class="button button--secondary" id="remove-keep">${e(msg.remove_keep)}</button>
</div>
</dialog>`;
}

export function renderNewCard(hidden: boolean, saveCard: 'none' | 'shown' | 'hidden', msg: Messages): string {
  const field = (id: string, label: string, input: string, hint = '') => `<div class="field" id="${id}-field">
<label class="field__label" for="${id}">${e(label)}</label>
${input}
${hint}<p class="field__error" id="${id}-error"></p>
</div>`;
  const save =
    saveCard === 'none'
      ? ''
      : `<div class="field field--checkbox" id="save-card-field"${saveCard === 'hidden' ? ' hidden' : ''}>
<input class="checkbox" type="checkbox" id="save-card" name="save_card" value="true">
<label for="save-card">${e(msg.save_card)}</label>
</div>`;
  return `<fieldset class="group new-card" id="new-card"${hidden ? ' hidden' : ''}>
<legend class="group__title">${e(msg.new_card)}</legend>
${field(
  'cc-name',
  msg.name_on_card,
  `<input class="input" id="cc-name" name="name_on_card" type="text" autocomplete="cc-name" autocapitalize="words" spellcheck="false" maxlength="100" aria-describedby="cc-name-error">`,
)}
<div class="field" id="cc-number-field">
<div class="field__label-row">
<label class="field__label" for="cc-number">${e(msg.card_number)}</label>
<span class="brand-badge" id="cc-number-brand" aria-live="polite"></span>
</div>
<input class="input input--number" id="cc-number" name="card_number" type="text" inputmode="numeric" autocomplete="cc-number" dir="ltr" maxlength="23" placeholder="1234 1234 1234 1234" spellcheck="false" aria-describedby="cc-number-brand cc-number-error">
<p class="field__error" id="cc-number-error"></p>
</div>
<div class="field-row">
${field(
  'cc-exp',
  msg.expiry,
  `<input class="input" id="cc-exp" name="card_expiry" type="text" inputmode="numeric" autocomplete="cc-exp" dir="ltr" maxlength="7" placeholder="${e(msg.expiry_placeholder)}" aria-describedby="cc-exp-error">`,
)}
${field(
  'cc-csc',
  msg.cvv,
  `<input class="input" id="cc-csc" name="card_cvv" type="text" inputmode="numeric" autocomplete="cc-csc" dir="ltr" maxlength="4" placeholder="•••" aria-describedby="cc-csc-hint cc-csc-error">`,
  `<p class="field__hint" id="cc-csc-hint">${e(msg.cvv_hint)}</p>\n`,
)}
</div>
${save}
</fieldset>`;
}

function renderForm(view: CheckoutView, msg: Messages, amountHtml: string): string {
  const cards = orderSavedCards(view.savedCards);
  const selected = cards.findIndex((c) => !c.isExpired);
  const anySave = view.paymentMethods.some((m) => m.canSaveCard);
  const firstSave = view.paymentMethods[0]?.canSaveCard === true;
  const saveCard = !anySave ? 'none' : firstSave ? 'shown' : 'hidden';
  return `<form class="pay-form" id="pay-form" method="post" action="${e(view.submitUrl)}" novalidate>
${renderMethods(view, msg)}
${cards.length > 0 ? renderSavedCards(cards, selected, msg) : ''}
${renderNewCard(cards.length > 0 && selected !== -1, saveCard, msg)}
${renderPayButton(msg, amountHtml)}
</form>`;
}

/** Pay (disabled until checkout.js is ready), and the note under it. */
export function renderPayButton(msg: Messages, amountHtml: string): string {
  return `<button class="button button--primary pay-button" id="pay-button" type="submit" disabled>
<span class="pay-button__label">${fillHtml(msg.pay_amount, { amount: amountHtml })}</span>
<span class="pay-button__busy" hidden><span class="spinner" aria-hidden="true"></span>${e(msg.processing_short)}</span>
</button>
<noscript><p class="notice notice--error">${e(msg.js_required)}</p></noscript>
<p class="secure-note">${e(msg.secure_note)}</p>`;
}

/** The strings checkout.js shows (validation, statuses, outcome titles) — not the whole dictionary. */
export const SCRIPT_MESSAGE_KEYS: readonly MessageKey[] = [
  'brand_visa',
  'brand_mastercard',
  'brand_amex',
  'cvv_hint',
  'cvv_hint_amex',
  'err_name_required',
  'err_number_required',
  'err_number_incomplete',
  'err_number_invalid',
  'err_expiry_required',
  'err_expiry_invalid',
  'err_expiry_past',
  'err_cvv_required',
  'err_cvv_length_3',
  'err_cvv_length_4',
  'err_select_card',
  'fix_errors',
  'processing',
  'attempt_failed',
  'network_error',
  'server_error',
  'redirect_3ds',
  'redirecting',
  'title_success',
  'title_authorized',
  'title_failed',
  'title_pending',
  'title_expired',
  'title_canceled',
  'title_refunded',
  'title_voided',
  'remove_message',
  'card_removed',
  'card_ending',
];

/** "20.230 KWD" as the page shows it: exact digits, the currency in the page's language. */
export function renderAmount(amount: string, currencyCode: string, lang: Language): string {
  return `<bdi class="amount-text"><span class="amount">${e(formatAmount(amount, lang))}</span> <span class="currency">${e(currencyLabel(currencyCode, lang))}</span></bdi>`;
}

/** Who is paid, how much, for which order. */
export function renderSummary(
  view: Pick<CheckoutView, 'merchantName' | 'orderNo'>,
  msg: Messages,
  amountHtml: string,
): string {
  const orderNo = view.orderNo
    ? `<p class="summary__order"><span class="summary__label">${e(msg.order_no)}</span> <bdi>${e(view.orderNo)}</bdi></p>`
    : '';
  return `<header class="summary">
<p class="summary__label">${e(msg.merchant_label)}</p>
<h1 class="summary__merchant">${e(view.merchantName)}</h1>
<p class="summary__amount"><span class="visually-hidden">${e(msg.amount_label)}: </span>${amountHtml}</p>
${orderNo}
</header>`;
}

/** The panel checkout.js fills with an attempt's outcome. */
export function renderOutcomePanel(msg: Messages): string {
  return `<section class="outcome" id="outcome" aria-labelledby="outcome-title" hidden>
<div class="outcome__icon" aria-hidden="true"></div>
<h2 class="outcome__title" id="outcome-title" tabindex="-1"></h2>
<p class="outcome__message" id="outcome-message" dir="auto"></p>
<dl class="outcome__details" id="outcome-details" hidden><dt>${e(msg.reference_number)}</dt><dd><bdi id="outcome-reference"></bdi></dd></dl>
</section>`;
}

/** The full HTML5 document for `GET /checkout/{session_id}`. */
export function renderCheckoutPage(view: CheckoutView): string {
  const lang = normaliseLanguage(view.language);
  const msg = messagesFor(lang);
  const amountHtml = renderAmount(view.amount, view.currencyCode, lang);
  const payable = view.payable && view.paymentMethods.length > 0;
  const lastFailed = payable && view.outcome?.result === 'failed';
  const status = lastFailed
    ? `<p>${e(msg.previous_attempt_failed)}</p>${view.outcome?.message ? `<p dir="auto">${e(view.outcome.message)}</p>` : ''}`
    : '';

  const data = {
    sessionId: view.sessionId,
    submitUrl: view.submitUrl,
    csrfToken: view.csrfToken,
    language: lang,
    merchantName: view.merchantName,
    messages: Object.fromEntries(SCRIPT_MESSAGE_KEYS.map((k) => [k, msg[k]])),
    // the brand rules the script applies to a card number as it is typed (domain/card.ts)
    cards: { brands: BRAND_RULES, unknownCvvLength: cvvLength('unknown') },
  };

  const body = payable
    ? `<div class="status${lastFailed ? ' status--error' : ''}" id="status" role="status" aria-live="polite">${status}</div>
${renderForm(view, msg, amountHtml)}
${view.savedCards.some((c) => c.deleteUrl) ? renderRemoveDialog(msg) : ''}
${renderOutcomePanel(msg)}`
    : `<div class="status" id="status" role="status" aria-live="polite"></div>
${renderOutcome(view, msg)}`;

  return `${documentHead(lang, `${msg.page_title} – ${view.merchantName}`, view.staticBase, payable ? ['checkout.js'] : [])}
<body>
<main class="checkout" id="checkout" data-state="${e(view.state)}" data-payable="${payable}">
${renderSummary(view, msg, amountHtml)}
${body}
</main>
${payable ? `<script type="application/json" id="checkout-data">${jsonForScriptBlock(data)}</script>\n` : ''}</body>
</html>
`;
}

/** Friendly 404 page for an unknown (or malformed) session id. */
export function renderNotFoundPage(language: Language, staticBase = '/static'): string {
  const lang = normaliseLanguage(language);
  const msg = messagesFor(lang);
  return `${documentHead(lang, msg.not_found_page_title, staticBase, [])}
<body>
<main class="checkout checkout--message">
<section class="outcome outcome--closed" aria-labelledby="outcome-title">
<div class="outcome__icon" aria-hidden="true"></div>
<h1 class="outcome__title" id="outcome-title">${e(msg.not_found_title)}</h1>
<p class="outcome__message">${e(msg.not_found_body)}</p>
</section>
</main>
</body>
</html>
`;
}

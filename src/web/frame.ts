/**
 * The Web Checkout SDK's frame (`GET /checkout/v3/frame/{session_id}`): the hosted page's form
 * inside the merchant's page, served by tokenpay under a CSP whose `frame-ancestors` lists exactly
 * the merchant's allowed origins. The parts that do not depend on the customer's cards are
 * rendered here with the hosted page's components (web/page.ts); the payment methods and the saved
 * cards come from the session's setup object (Ottu's CheckoutSDK), which the merchant may preload
 * (the SDK passes it in, nothing is fetched) or the frame fetches. sdk-frame.js fills them in from
 * the `<template>`s below, then mounts checkout.js like the hosted page does.
 */
import { BRAND_RULES, cvvLength, type CardBrand } from '../domain/card';
import { BRAND_DISPLAY_NAMES } from '../ottu/card';
import { escapeHtml as e, jsonForScriptBlock } from './html';
import { messagesFor, type MessageKey, type Messages } from './i18n';
import {
  documentHead,
  normaliseLanguage,
  renderAmount,
  renderNewCard,
  renderOutcome,
  renderOutcomePanel,
  renderPayButton,
  renderRemoveDialog,
  renderSavedCardItem,
  renderSavedCards,
  renderSummary,
  SCRIPT_MESSAGE_KEYS,
} from './page';
import type { CheckoutView, Language } from './view';

/** Ottu's `formsOfPayment` tokenpay renders: saved cards, its onsite card form, the hosted page. */
export const FORMS_OF_PAYMENT = ['tokenPay', 'jazz', 'redirect', 'ottuPG'] as const;
export type FormOfPayment = (typeof FORMS_OF_PAYMENT)[number];
/** Without `formsOfPayment`: the card form with saved cards (the hosted page only when asked). */
export const DEFAULT_FORMS_OF_PAYMENT: readonly FormOfPayment[] = ['tokenPay', 'jazz'];

/** The hosted page's view of the session (its cards come with the setup object), plus the frame's own. */
export interface SdkFrameView extends Pick<
  CheckoutView,
  | 'sessionId'
  | 'merchantName'
  | 'language'
  | 'amount'
  | 'currencyCode'
  | 'orderNo'
  | 'state'
  | 'payable'
  | 'outcome'
  | 'csrfToken'
  | 'submitUrl'
  | 'staticBase'
> {
  /** where the frame fetches the setup object when it was given none (or an invalid one) */
  setupUrl: string;
  /** `{cardsUrl}/{token}` removes a saved card */
  cardsUrl: string;
  /** the hosted page, for `redirect` / `ottuPG` */
  checkoutUrl: string;
  /** the page embedding the frame, when the SDK said so and it is allowed */
  parentOrigin?: string;
  /** the origins allowed to embed this frame (its CSP frame-ancestors) */
  allowedOrigins: string[];
  formsOfPayment: FormOfPayment[];
  displayMode: 'column' | 'grid';
  /** back from the gateway's 3-D Secure page: tell the merchant's page how it ended */
  returnedFromChallenge: boolean;
  /** where the frame goes once a 3-D Secure challenge is over (this frame, `return=1`) */
  returnUrl: string;
  /** why a card paying an auto-debit agreement cannot be removed, in the frame's language */
  lockedReason: string;
}

/** The strings sdk-frame.js shows on top of checkout.js's. */
const FRAME_MESSAGE_KEYS: readonly MessageKey[] = [
  'card_ending',
  'preferred',
  'expired',
  'remove_card',
  'remove_card_label',
  'brand_unknown',
  'cvv_hint',
  'cvv_hint_amex',
  'popup_close',
  'title_success',
  'title_failed',
  'redirecting',
  'server_error',
  'network_error',
  'frame_unavailable',
  'attempt_failed',
  'previous_attempt_failed',
  'challenge_title',
];

/** A card for the template: every optional part rendered, filled in per card by sdk-frame.js. */
const TEMPLATE_CARD = {
  token: '',
  brand: 'unknown' as CardBrand,
  last4: '',
  cvvLength: cvvLength('unknown'),
  expiry: '',
  cvvRequired: true,
  isExpired: false,
  isPreferred: false,
};

function renderPopupDialog(msg: Messages): string {
  return `<dialog class="dialog popup-dialog" id="popup-dialog" aria-labelledby="popup-title" aria-describedby="popup-message">
<h2 class="dialog__title" id="popup-title"></h2>
<p class="dialog__message" id="popup-message" dir="auto"></p>
<dl class="dialog__data" id="popup-data" hidden></dl>
<div class="dialog__actions"><button type="button" class="button button--secondary" id="popup-close">${e(msg.popup_close)}</button></div>
</dialog>`;
}

function renderPayableBody(view: SdkFrameView, msg: Messages, amountHtml: string): string {
  const lastFailed = view.outcome?.result === 'failed';
  const status = lastFailed
    ? `<p>${e(msg.previous_attempt_failed)}</p>${view.outcome?.message ? `<p dir="auto">${e(view.outcome.message)}</p>` : ''}`
    : '';
  return `<div class="status${lastFailed ? ' status--error' : ''}" id="status" role="status" aria-live="polite">${status}</div>
<p class="frame-loading" id="frame-loading">${e(msg.loading)}</p>
<form class="pay-form" id="pay-form" method="post" action="${e(view.submitUrl)}" novalidate hidden>
<fieldset class="group methods" id="methods" hidden>
<legend class="group__title">${e(msg.payment_method)}</legend>
<div class="choice-list" id="method-list"></div>
</fieldset>
${renderSavedCards([], -1, msg)}
${renderNewCard(false, 'hidden', msg)}
${renderPayButton(msg, amountHtml)}
</form>
<p class="redirect-link" id="redirect-link" hidden><a class="button button--secondary" href="${e(view.checkoutUrl)}" target="_top">${e(msg.pay_on_checkout_page)}</a></p>
${renderRemoveDialog(msg)}
${renderOutcomePanel(msg)}
<template id="tpl-saved-card">${renderSavedCardItem(TEMPLATE_CARD, '__I__', false, msg, true)}</template>
<template id="tpl-method"><label class="choice"><input type="radio" name="pg_code" value="" data-can-save-card="false"><span class="choice__text" data-slot="name"></span></label></template>`;
}

export function renderSdkFrame(view: SdkFrameView): string {
  const lang = normaliseLanguage(view.language);
  const msg = messagesFor(lang);
  const amountHtml = renderAmount(view.amount, view.currencyCode, lang);
  const keys = [...new Set([...SCRIPT_MESSAGE_KEYS, ...FRAME_MESSAGE_KEYS])];
  const data = {
    sessionId: view.sessionId,
    submitUrl: view.submitUrl,
    setupUrl: view.setupUrl,
    cardsUrl: view.cardsUrl,
    checkoutUrl: view.checkoutUrl,
    csrfToken: view.csrfToken,
    language: lang,
    merchantName: view.merchantName,
    orderNo: view.orderNo ?? null,
    state: view.state,
    payable: view.payable,
    outcome: view.outcome ?? null,
    parentOrigin: view.parentOrigin ?? null,
    allowedOrigins: view.allowedOrigins,
    formsOfPayment: view.formsOfPayment,
    returnedFromChallenge: view.returnedFromChallenge,
    returnUrl: view.returnUrl,
    lockedReason: view.lockedReason,
    messages: Object.fromEntries(keys.map((k) => [k, msg[k]])),
    cards: { brands: BRAND_RULES, unknownCvvLength: cvvLength('unknown') },
    // Ottu's card objects name the brand ("American Express"); the page works with its key
    brandNames: BRAND_DISPLAY_NAMES,
  };
  const classes = ['checkout', 'checkout--embedded', view.displayMode === 'grid' ? 'checkout--grid' : ''];
  const body = view.payable
    ? renderPayableBody(view, msg, amountHtml)
    : `<div class="status" id="status" role="status" aria-live="polite"></div>
${renderOutcome(view, msg)}`;
  return `${documentHead(lang, `${msg.page_title} – ${view.merchantName}`, view.staticBase, ['checkout.js', 'sdk-frame.js'], ['checkout.css', 'sdk-theme.css'])}
<body class="embedded">
<main class="${classes.filter(Boolean).join(' ')}" id="checkout" data-mount="manual" data-state="${e(view.state)}" data-payable="${view.payable}">
${renderSummary(view, msg, amountHtml)}
${body}
${renderPopupDialog(msg)}
</main>
<script type="application/json" id="checkout-data">${jsonForScriptBlock(data)}</script>
</body>
</html>
`;
}

/**
 * Where the gateway's 3-D Secure page returns inside the frame (`GET /checkout/{session_id}` as an
 * iframe): a page that only tells the frame the challenge is over (sdk-challenge-done.js).
 */
export function renderChallengeReturn(language: Language, staticBase = '/static'): string {
  const lang = normaliseLanguage(language);
  const msg = messagesFor(lang);
  return `${documentHead(lang, msg.page_title, staticBase, ['sdk-challenge-done.js'])}
<body class="embedded">
<main class="checkout checkout--embedded"><p class="frame-loading">${e(msg.processing)}</p></main>
</body>
</html>
`;
}

/*
 * tokenpay Web Checkout SDK — the frame's side (plain browser JavaScript, ES2020, no build step).
 *
 * Runs inside the iframe the SDK (GET /checkout/v3/checkout.min.js) puts in the merchant's page.
 * It renders the session's payment methods and saved cards from the setup object (Ottu's
 * CheckoutSDK) — the merchant's preload when the SDK passes a valid one, otherwise fetched from
 * tokenpay — then mounts checkout.js exactly as the hosted page does.
 *
 * It talks to the merchant's page only through postMessage, to exactly one origin: the one the
 * SDK named, which the server checked against the public key's allowed origins (and which the
 * browser enforced through frame-ancestors). Messages from any other window or origin are ignored.
 * Nothing it sends carries a card number or a CVV: results, the masked card of beforePayment
 * (first 6 and last 4 digits, as Ottu's SDK gives), sizes.
 */
(function () {
  'use strict';

  var FROM_FRAME = 'tokenpay-checkout';
  var FROM_SDK = 'tokenpay-sdk';
  /** Without an answer from the merchant's page this long, the frame fetches its setup itself. */
  var SETUP_WAIT_MS = 3000;
  var TOKEN_FORMAT = /^[0-9a-f]{40}$/;
  var PAYABLE = ['created', 'pending', 'attempted'];

  // --- the setup object: is this preload one the frame can render from? ----------------------

  function isString(v) {
    return typeof v === 'string';
  }

  /**
   * A preload is used only when it is the CheckoutSDK object of this session, payable, with
   * methods and cards of the expected shape (and delete URLs of this session); anything else is
   * discarded and the frame fetches the setup object instead, as Ottu's SDK does.
   */
  function isValidSetup(setup, data) {
    if (!setup || typeof setup !== 'object' || Array.isArray(setup)) return false;
    if (setup.session_id !== data.sessionId) return false;
    if (!isString(setup.amount) || !isString(setup.currency_code) || !isString(setup.state)) return false;
    if (PAYABLE.indexOf(setup.state) === -1) return false;
    if (!Array.isArray(setup.payment_methods) || !setup.payment_methods.length) return false;
    if (!Array.isArray(setup.cards)) return false;
    var methodsOk = setup.payment_methods.every(function (m) {
      return m && isString(m.code) && isString(m.name) && typeof m.can_save_card === 'boolean';
    });
    var cardsOk = setup.cards.every(function (c) {
      return (
        c &&
        isString(c.token) &&
        TOKEN_FORMAT.test(c.token) &&
        isString(c.brand) &&
        isString(c.number) &&
        /^\d{2}$/.test(String(c.expiry_month)) &&
        /^\d{2}$/.test(String(c.expiry_year)) &&
        typeof c.cvv_required === 'boolean' &&
        typeof c.is_expired === 'boolean' &&
        isString(c.pg_code) &&
        (c.delete_url === null || c.delete_url === data.cardsUrl + '/' + c.token)
      );
    });
    return methodsOk && cardsOk;
  }

  /** Ottu's theme keys that mean something for a card form, as selectors of this page. */
  var THEME_SELECTORS = {
    main: 'body.embedded, .checkout--embedded',
    'title-text': '.summary__merchant, .outcome__title, .dialog__title',
    'primary-text': '.checkout--embedded',
    'secondary-text': '.summary__label, .field__hint, .secure-note, .card-meta',
    'payment-details-heading': '.summary__label',
    'payment-methods-heading': '.group__title',
    'amount-box': '.summary',
    amount: '.summary .amount',
    'amount-label': '.summary__label',
    'amount-currency': '.summary .currency',
    'pay-button': '.pay-button',
    border: '.input, .choice',
    'checkbox-label': '.field--checkbox label',
    'save-account-label': '.field--checkbox label',
    'selected-checkbox': '.field--checkbox input',
    'methods-block': '.pay-form',
    methods: '.choice',
    'saved-cards': '.saved-cards',
    'redirect-links': '.redirect-link',
    'selected-method': '.choice:has(input:checked)',
    'payment-method-name': '.choice__text',
    'card-number': '.card-digits',
    'card-expiry': '.card-expiry',
    'delete-card-logo': '.card-delete',
    'ccv-input': '.saved-cvv__input, #cc-csc',
    'floating-label': '.field__label',
    'cvv-info-text': '.saved-cvv .field__hint, #cc-csc-hint',
    'card-removal-modal': '.remove-dialog',
    'info-modal': '.popup-dialog',
    'payment-modal': '.dialog',
    'modal-overlay': '.dialog::backdrop',
    'delete-card-button': '#remove-confirm',
    'delete-card-message': '#remove-message',
    'keep-card-button': '#remove-keep',
    'popup-close-button': '#popup-close',
    'error-popup-heading': '.outcome--failed .outcome__title',
    'error-popup-message': '.outcome--failed .outcome__message, .status--error',
    'error-popup-data': '.outcome--failed .outcome__details',
    'retry-button': '.pay-button',
    'success-popup-heading': '.outcome--success .outcome__title',
    'success-popup-message': '.outcome--success .outcome__message',
    'success-popup-data': '.outcome--success .outcome__details',
    'payment-error-message': '.status--error, .field__error',
  };

  var PROPERTY = /^-?[a-z][a-z-]{0,40}$/;
  var UNSAFE_VALUE = /[;{}<>\\]|url\s*\(|expression\s*\(|@import|javascript:/i;

  /** The CSS rules of a theme: known keys only, plain property names and harmless values. */
  function themeRules(theme) {
    var rules = [];
    if (!theme || typeof theme !== 'object') return rules;
    Object.keys(theme).forEach(function (key) {
      var selector = Object.prototype.hasOwnProperty.call(THEME_SELECTORS, key) ? THEME_SELECTORS[key] : null;
      var props = theme[key];
      if (!selector || !props || typeof props !== 'object') return;
      var declarations = Object.keys(props)
        .filter(function (name) {
          var value = props[name];
          return (
            PROPERTY.test(name) &&
            (typeof value === 'string' || typeof value === 'number') &&
            String(value).length <= 200 &&
            !UNSAFE_VALUE.test(String(value))
          );
        })
        .map(function (name) {
          return name + ': ' + String(props[name]) + ' !important';
        });
      if (declarations.length) rules.push(selector + ' { ' + declarations.join('; ') + ' }');
    });
    return rules;
  }

  /** What the merchant's callbacks receive for a submit answer (Ottu's data object), or null. */
  function callbackOf(action, context, data) {
    var body = action.body || {};
    var base = {
      session_id: data.sessionId,
      order_no: data.orderNo || undefined,
      form_of_payment: context && context.method === 'token' ? 'token_pay' : 'jazz',
      challenge_occurred: Boolean(context && context.challenge),
    };
    function withBody(status, message) {
      var out = Object.assign({}, base, {
        status: status,
        message: message || '',
        reference_number: body.reference_number || undefined,
        payment_gateway_info: {
          pg_code: (context && context.pgCode) || undefined,
          pg_name: 'tokenpay',
          pg_response: { state: body.state, result: body.result },
        },
      });
      if (body.redirect_url) out.redirect_url = body.redirect_url;
      return out;
    }
    switch (action.kind) {
      case 'success':
        return { callback: 'success', data: withBody('success', body.message) };
      case 'retry':
        return { callback: 'cancel', data: withBody('canceled', action.message) };
      case 'final':
        return { callback: 'error', data: withBody('error', body.message) };
      case 'detail':
        // the customer can go on with another card (a locked card, a refused one) → canceled;
        // the session cannot be paid any more, or tokenpay cannot answer → error
        return action.status === 423 || action.status === 422
          ? { callback: 'cancel', data: withBody('canceled', action.message) }
          : { callback: 'error', data: withBody('error', action.message) };
      case 'network':
        return { callback: 'error', data: withBody('error', data.messages.network_error) };
      default:
        return null; // field errors stay in the form; a pending answer is not an outcome yet
    }
  }

  var helpers = { isValidSetup: isValidSetup, themeRules: themeRules, callbackOf: callbackOf };
  if (typeof module !== 'undefined' && module.exports) module.exports = helpers;
  if (typeof document === 'undefined') return;

  // --- the frame ------------------------------------------------------------------------------

  var root = document.getElementById('checkout');
  var dataEl = document.getElementById('checkout-data');
  if (!root || !dataEl) return;
  var data;
  try {
    data = JSON.parse(dataEl.textContent || '{}');
  } catch (_e) {
    return;
  }
  var messages = data.messages || {};
  function t(key, vars) {
    return String(messages[key] || key).replace(/\{(\w+)\}/g, function (whole, name) {
      return vars && Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
    });
  }
  function byId(id) {
    return document.getElementById(id);
  }

  /** How the payment that led to a 3-D Secure challenge was made (the return URL carries it). */
  var query = new URLSearchParams(window.location.search);
  var challenged = {
    method: query.get('method') === 'token' ? 'token' : 'card',
    pgCode: query.get('pg') || undefined,
  };

  /** The one origin this frame talks to: named by the SDK and allowed by the merchant's key. */
  function resolveParentOrigin() {
    var allowed = data.allowedOrigins || [];
    var candidates = [data.parentOrigin];
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
      candidates.push(window.location.ancestorOrigins[0]);
    }
    for (var i = 0; i < candidates.length; i++) {
      if (candidates[i] && allowed.indexOf(candidates[i]) !== -1) return candidates[i];
    }
    return null;
  }

  var embedded = window.parent && window.parent !== window;
  var parentOrigin = embedded ? resolveParentOrigin() : null;

  function post(type, payload) {
    if (!parentOrigin) return;
    window.parent.postMessage(Object.assign({ source: FROM_FRAME, type: type }, payload || {}), parentOrigin);
  }

  // --- size: the SDK sizes the iframe to its content -----------------------------------------

  var lastHeight = 0;
  function reportSize() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      post('resize', { height: height });
    }
  }
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(reportSize).observe(document.body);

  // --- messages from the merchant's page -------------------------------------------------------

  var pendingBeforePay = {};
  var beforePaySeq = 0;
  var setupReceived = false;

  window.addEventListener('message', function (event) {
    if (!parentOrigin || event.origin !== parentOrigin || event.source !== window.parent) return;
    var msg = event.data;
    if (!msg || typeof msg !== 'object' || msg.source !== FROM_SDK) return;
    if (msg.type === 'setup' && !setupReceived) {
      setupReceived = true;
      applyTheme(msg.theme);
      if (data.payable) start(msg.setupPreload);
    } else if (msg.type === 'before_payment_result' && pendingBeforePay[msg.id]) {
      pendingBeforePay[msg.id](msg.ok === true);
      delete pendingBeforePay[msg.id];
    } else if (msg.type === 'popup') {
      showPopup(msg.popupType, msg.message, msg.pgResponse);
    }
  });

  function applyTheme(theme) {
    var link = document.querySelector('link[href$="sdk-theme.css"]');
    var sheet = link && link.sheet;
    if (!sheet) return;
    themeRules(theme).forEach(function (rule) {
      try {
        sheet.insertRule(rule, sheet.cssRules.length);
      } catch (_e) {
        /* a selector or value the browser does not understand: skipped */
      }
    });
  }

  function showPopup(type, message, pgResponse) {
    var dialog = byId('popup-dialog');
    if (!dialog || typeof dialog.showModal !== 'function') return;
    byId('popup-title').textContent =
      type === 'success' ? t('title_success') : type === 'error' ? t('title_failed') : '';
    byId('popup-message').textContent = typeof message === 'string' ? message : '';
    var list = byId('popup-data');
    list.textContent = '';
    if (pgResponse && typeof pgResponse === 'object' && type !== 'redirect') {
      Object.keys(pgResponse).forEach(function (key) {
        var value = pgResponse[key];
        if (value === null || value === undefined || typeof value === 'object') return;
        var dt = document.createElement('dt');
        dt.textContent = key;
        var dd = document.createElement('dd');
        dd.textContent = String(value);
        list.appendChild(dt);
        list.appendChild(dd);
      });
    }
    list.hidden = !list.childNodes.length;
    if (!dialog.open) dialog.showModal();
    byId('popup-close').focus();
  }
  var popupClose = byId('popup-close');
  if (popupClose) {
    popupClose.addEventListener('click', function () {
      byId('popup-dialog').close();
    });
  }

  // --- a closed session, or back from 3-D Secure -----------------------------------------------

  function outcomeCallback() {
    var outcome = data.outcome || {};
    var context = {
      method: challenged.method,
      challenge: data.returnedFromChallenge,
      pgCode: challenged.pgCode,
    };
    var body = {
      state: data.state,
      result: outcome.result,
      message: outcome.message,
      reference_number: outcome.referenceNumber,
    };
    if (data.state === 'paid' || data.state === 'authorized') {
      return callbackOf({ kind: 'success', body: body }, context, data);
    }
    if (!data.payable) return callbackOf({ kind: 'final', body: body }, context, data);
    if (data.returnedFromChallenge && outcome.result === 'failed') {
      return callbackOf({ kind: 'retry', body: body, message: outcome.message }, context, data);
    }
    return null;
  }

  var told = outcomeCallback();
  post('ready', { payable: Boolean(data.payable) });
  if (told) post('result', told);

  // --- rendering from the setup object ---------------------------------------------------------

  var started = false;
  function start(preload) {
    if (started) return;
    started = true;
    var valid = isValidSetup(preload, data);
    var setup = valid
      ? Promise.resolve(preload)
      : fetch(data.setupUrl, {
          headers: { Accept: 'application/json' },
          credentials: 'same-origin',
          cache: 'no-store',
        }).then(function (res) {
          if (!res.ok) throw new Error('setup ' + res.status);
          return res.json();
        });
    setup
      .then(function (value) {
        root.setAttribute('data-setup-source', valid ? 'preload' : 'fetched');
        render(value);
      })
      .catch(function () {
        var loading = byId('frame-loading');
        if (loading) loading.hidden = true;
        var status = byId('status');
        status.className = 'status status--error';
        status.textContent = t('server_error');
        post('result', {
          callback: 'error',
          data: {
            status: 'error',
            message: t('server_error'),
            session_id: data.sessionId,
            form_of_payment: 'jazz',
          },
        });
      });
  }

  if (data.payable) {
    if (!parentOrigin) start(null);
    else {
      setTimeout(function () {
        if (!setupReceived) start(null);
      }, SETUP_WAIT_MS);
    }
  }

  function brandKey(name) {
    var names = data.brandNames || {};
    var keys = Object.keys(names);
    for (var i = 0; i < keys.length; i++) {
      if (names[keys[i]] === name || keys[i] === name) return keys[i];
    }
    return 'unknown';
  }

  function cvvLengthOf(brand) {
    var rules = (data.cards && data.cards.brands) || [];
    for (var i = 0; i < rules.length; i++) if (rules[i].brand === brand) return rules[i].cvvLength;
    return (data.cards && data.cards.unknownCvvLength) || 3;
  }

  function slot(node, name) {
    return node.querySelector('[data-slot="' + name + '"]');
  }

  /** One saved card, from the template rendered by the server (web/page.ts renderSavedCardItem). */
  function cardNode(card, index, checked) {
    var node = byId('tpl-saved-card').content.firstElementChild.cloneNode(true);
    node.querySelectorAll('*').forEach(function (el) {
      ['id', 'for', 'aria-describedby', 'data-cvv-index'].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && value.indexOf('__I__') !== -1)
          el.setAttribute(attr, value.split('__I__').join(String(index)));
      });
    });
    var brand = brandKey(card.brand);
    var last4 = String(card.number).replace(/\D/g, '').slice(-4);
    var expiry = card.expiry_month + '/' + card.expiry_year;
    var brandName = t('brand_' + brand);
    var name = t('card_ending', { brand: brandName, last4: last4, expiry: expiry });
    var disabled = card.is_expired;
    var cvvRequired = card.cvv_required && !disabled;
    var length = cvvLengthOf(brand);

    node.setAttribute('data-token', card.token);
    if (disabled) node.classList.add('choice--disabled');
    var radio = node.querySelector('input[name="source"]');
    radio.value = card.token;
    radio.setAttribute('data-brand', brand);
    radio.setAttribute('data-cvv-length', String(length));
    radio.setAttribute('data-cvv-required', String(cvvRequired));
    radio.setAttribute('data-pg-code', card.pg_code);
    radio.checked = checked;
    radio.disabled = disabled;
    var brandEl = slot(node, 'brand');
    brandEl.textContent = brandName;
    brandEl.className = 'card-brand card-brand--' + brand;
    slot(node, 'digits').textContent = '**** ' + last4;
    slot(node, 'expiry').textContent = expiry;
    slot(node, 'name').textContent = name;
    if (!card.is_preferred) slot(node, 'preferred').remove();
    if (!disabled) slot(node, 'expired').remove();

    if (cvvRequired) {
      var field = slot(node, 'cvv-field');
      field.hidden = !checked;
      field.querySelector('input').maxLength = length;
      slot(node, 'cvv-hint').textContent = t(brand === 'amex' ? 'cvv_hint_amex' : 'cvv_hint');
    } else slot(node, 'cvv-field').remove();

    if (card.delete_url) {
      var remove = slot(node, 'remove-button');
      // same origin as the frame, whichever host name the merchant's page used for tokenpay
      remove.setAttribute('data-delete-url', new URL(card.delete_url).pathname);
      remove.setAttribute('aria-label', t('remove_card_label', { card: name }));
    } else slot(node, 'remove').remove();

    if (card.is_locked) slot(node, 'lock-reason').textContent = data.lockedReason;
    else {
      slot(node, 'lock').remove();
      radio.removeAttribute('aria-describedby');
    }
    node.querySelectorAll('[data-slot]').forEach(function (el) {
      el.removeAttribute('data-slot');
    });
    return node;
  }

  function render(setup) {
    var forms = data.formsOfPayment || [];
    var savedAllowed = forms.indexOf('tokenPay') !== -1;
    var newAllowed = forms.indexOf('jazz') !== -1;
    var redirectAllowed = forms.indexOf('redirect') !== -1 || forms.indexOf('ottuPG') !== -1;
    var form = byId('pay-form');
    byId('frame-loading').hidden = true;

    var cards = savedAllowed ? setup.cards.slice() : [];
    cards.sort(function (a, b) {
      return Number(Boolean(b.is_preferred)) - Number(Boolean(a.is_preferred));
    });
    if (!newAllowed && !cards.length) {
      if (redirectAllowed) byId('redirect-link').hidden = false;
      else {
        var status = byId('status');
        status.className = 'status status--error';
        status.textContent = t('frame_unavailable');
      }
      return;
    }
    if (redirectAllowed) byId('redirect-link').hidden = false;

    // payment methods: one → a hidden field, more → a radio group, like the hosted page
    var methods = setup.payment_methods;
    if (methods.length === 1) {
      var hidden = document.createElement('input');
      hidden.type = 'hidden';
      hidden.name = 'pg_code';
      hidden.value = methods[0].code;
      hidden.setAttribute('data-can-save-card', String(methods[0].can_save_card));
      form.insertBefore(hidden, form.firstChild);
      byId('methods').remove();
    } else {
      var list = byId('method-list');
      methods.forEach(function (m, i) {
        var node = byId('tpl-method').content.firstElementChild.cloneNode(true);
        var input = node.querySelector('input');
        input.value = m.code;
        input.setAttribute('data-can-save-card', String(m.can_save_card));
        input.checked = i === 0;
        slot(node, 'name').textContent = m.name;
        slot(node, 'name').removeAttribute('data-slot');
        list.appendChild(node);
      });
      byId('methods').hidden = false;
    }

    // saved cards, the first usable one selected; otherwise the new card
    var selected = -1;
    for (var i = 0; i < cards.length; i++) {
      if (!cards[i].is_expired) {
        selected = i;
        break;
      }
    }
    if (!newAllowed && selected === -1) {
      byId('status').textContent = t('frame_unavailable');
      return;
    }
    var savedList = byId('saved-card-list');
    var newChoice = savedList.querySelector('.choice--new');
    if (cards.length) {
      cards.forEach(function (card, index) {
        savedList.insertBefore(cardNode(card, index, index === selected), newChoice);
      });
      if (!newAllowed) newChoice.remove();
      else byId('source-new').checked = selected === -1;
    } else byId('saved-cards').remove();
    var newCard = byId('new-card');
    if (!newAllowed) newCard.remove();
    else newCard.hidden = selected !== -1;

    form.hidden = false;
    window.TokenpayCheckout.mount({ root: root, data: data, form: form, hooks: hooks(form) });
  }

  /**
   * 3-D Secure inside the frame: the gateway's page in an iframe of this one (under tokenpay's CSP,
   * so the merchant's page needs nothing but tokenpay in its frame-src). The gateway returns to
   * tokenpay in that iframe, whose page says so; the frame then shows how it ended.
   */
  function openChallenge(url, payment) {
    var form = byId('pay-form');
    if (form) form.hidden = true;
    var status = byId('status');
    status.className = 'status';
    status.textContent = '';
    var panel = document.createElement('section');
    panel.className = 'challenge';
    panel.setAttribute('aria-labelledby', 'challenge-title');
    var title = document.createElement('h2');
    title.className = 'group__title';
    title.id = 'challenge-title';
    title.textContent = t('challenge_title');
    var frame = document.createElement('iframe');
    frame.className = 'challenge-frame';
    frame.title = t('challenge_title');
    frame.src = url;
    panel.appendChild(title);
    panel.appendChild(frame);
    root.appendChild(panel);
    window.addEventListener('message', function (event) {
      if (event.source !== frame.contentWindow || event.origin !== window.location.origin) return;
      if (event.data && event.data.source === 'tokenpay-challenge' && event.data.type === 'challenge_done') {
        var back = new URL(data.returnUrl, window.location.href);
        back.searchParams.set('method', payment.method === 'token' ? 'token' : 'card');
        if (payment.pgCode) back.searchParams.set('pg', payment.pgCode);
        window.location.replace(back.toString());
      }
    });
    window.scrollTo(0, 0);
  }

  function hooks(form) {
    var last = {};
    function pgCodeOf() {
      var source = form.querySelector('input[name="source"]:checked');
      if (source && source.value !== 'new') return source.getAttribute('data-pg-code');
      var method = form.querySelector('input[name="pg_code"]:checked, input[name="pg_code"][type="hidden"]');
      return method ? method.value : undefined;
    }
    return {
      followRedirect: false,
      beforePay: function (context) {
        last = { method: context.method, pgCode: pgCodeOf() };
        if (!parentOrigin) return Promise.resolve(true);
        return new Promise(function (resolve) {
          var id = String(++beforePaySeq);
          pendingBeforePay[id] = resolve;
          post('before_payment', { id: id, data: { card: context.card, session_id: data.sessionId } });
        });
      },
      onResult: function (action, context) {
        var told = callbackOf(action, { method: context.method, pgCode: last.pgCode }, data);
        // the frame is as tall as its content: what the customer must read starts at its top
        window.scrollTo(0, 0);
        if (told) post('result', told);
      },
      onChallenge: function (url) {
        post('challenge', {});
        openChallenge(url, last);
      },
      onCardRemoved: function (card) {
        post('card_deleted', { card: card });
      },
    };
  }
})();

/*
 * tokenpay Web Checkout SDK — served (minified) at GET /checkout/v3/checkout.min.js.
 *
 * Ottu's Web Checkout SDK interface, so that a page written for Ottu works with only the script's
 * URL and `merchant_id` changed:
 *
 *   <script src="https://pay.example/checkout/v3/checkout.min.js"
 *           data-success="successCallback" data-error="errorCallback"
 *           data-cancel="cancelCallback" data-beforepayment="beforePayment"></script>
 *   Checkout.init({ selector, merchant_id, session_id, apiKey, lang, formsOfPayment,
 *                   displayMode, theme, setupPreload });
 *   Checkout.reload();  Checkout.showPopup(type, message, pg_response);
 *
 * `merchant_id` is the host of tokenpay (`pay.example`, https implied) or, for local development,
 * a full origin such as `http://127.0.0.1:3000`. `apiKey` is the merchant's public key.
 *
 * The card form lives in an iframe served by tokenpay: card numbers and CVVs are typed there and
 * never reach this page. The SDK talks to the frame only through postMessage, with the frame's
 * exact origin, and ignores messages from any other window or origin.
 */
(function () {
  'use strict';

  var FROM_FRAME = 'tokenpay-checkout';
  var FROM_SDK = 'tokenpay-sdk';
  /** After the frame's document loaded, how long it may take to say it is ready. */
  var READY_GRACE_MS = 2000;
  var MIN_HEIGHT = 120;
  var FORMS_OF_PAYMENT = ['tokenPay', 'jazz', 'redirect', 'ottuPG'];

  var script = document.currentScript;
  var ATTRIBUTES = {
    success: 'data-success',
    error: 'data-error',
    cancel: 'data-cancel',
    beforePayment: 'data-beforepayment',
    validatePayment: 'data-validatepayment',
  };

  /** The page's global function named by the script tag's data-* attribute, if there is one. */
  function callback(kind) {
    var name = script ? script.getAttribute(ATTRIBUTES[kind]) : null;
    var fn = name ? window[name] : null;
    return typeof fn === 'function' ? fn : null;
  }

  function call(kind, data) {
    var fn = callback(kind);
    if (!fn) return;
    try {
      fn(data);
    } catch (error) {
      console.error('Checkout: the ' + kind + ' callback threw', error);
    }
  }

  /** tokenpay's origin from `merchant_id`: a host (https) or, for development, a full origin. */
  function originOf(merchantId) {
    var id = String(merchantId || '').trim();
    var url = new URL(/^https?:\/\//i.test(id) ? id : 'https://' + id);
    return url.origin;
  }

  var current = null;

  function container(selector) {
    var s = String(selector || '');
    var byId = document.getElementById(s.charAt(0) === '#' ? s.slice(1) : s);
    if (byId) return byId;
    try {
      return document.querySelector(s);
    } catch (_e) {
      return null;
    }
  }

  function destroy() {
    if (!current) return;
    window.removeEventListener('message', current.listener);
    clearTimeout(current.readyTimer);
    if (current.iframe.parentNode) current.iframe.parentNode.removeChild(current.iframe);
    current = null;
  }

  function init(config) {
    var options = config || {};
    ['selector', 'merchant_id', 'session_id', 'apiKey'].forEach(function (name) {
      if (!options[name] || typeof options[name] !== 'string') {
        throw new TypeError('Checkout.init: `' + name + '` is required (a string).');
      }
    });
    var host = container(options.selector);
    if (!host) throw new TypeError('Checkout.init: no element matches selector "' + options.selector + '".');
    destroy();

    var origin = originOf(options.merchant_id);
    var query = new URLSearchParams({
      pk: options.apiKey,
      origin: window.location.origin,
      display: options.displayMode === 'grid' ? 'grid' : 'column',
    });
    if (Array.isArray(options.formsOfPayment)) {
      // the ones tokenpay has (saved cards, its card form, the hosted page); others are ignored
      var forms = options.formsOfPayment.filter(function (f) {
        return FORMS_OF_PAYMENT.indexOf(f) !== -1;
      });
      query.set('fop', forms.length ? forms.join(',') : 'none');
    }
    if (options.lang === 'en' || options.lang === 'ar') query.set('lang', options.lang);

    var iframe = document.createElement('iframe');
    iframe.src =
      origin + '/checkout/v3/frame/' + encodeURIComponent(options.session_id) + '?' + query.toString();
    iframe.title = options.lang === 'ar' ? 'نموذج دفع آمن' : 'Secure payment form';
    iframe.name = 'tokenpay-checkout';
    iframe.setAttribute('allow', 'payment');
    iframe.setAttribute(
      'sandbox',
      'allow-scripts allow-same-origin allow-forms allow-modals allow-top-navigation-by-user-activation',
    );
    iframe.setAttribute('referrerpolicy', 'origin');
    iframe.style.display = 'block';
    iframe.style.width = '100%';
    iframe.style.border = '0';
    iframe.style.height = '480px';

    var state = {
      config: options,
      origin: origin,
      iframe: iframe,
      host: host,
      ready: false,
      challenge: false,
      preloadSent: false,
      readyTimer: null,
      listener: null,
    };
    state.listener = function (event) {
      onMessage(state, event);
    };
    window.addEventListener('message', state.listener);
    iframe.addEventListener('load', function () {
      // A frame the browser refused to show (an origin the public key does not allow, a revoked
      // key, an unknown session) never says it is ready.
      if (state.ready || state.challenge) return;
      clearTimeout(state.readyTimer);
      state.readyTimer = setTimeout(function () {
        if (!state.ready && !state.challenge && current === state) {
          call('error', {
            status: 'error',
            message: 'The payment form could not be loaded.',
            session_id: options.session_id,
            form_of_payment: 'jazz',
            challenge_occurred: false,
          });
        }
      }, READY_GRACE_MS);
    });
    host.textContent = '';
    host.appendChild(iframe);
    current = state;
  }

  function send(state, type, payload) {
    if (!state.iframe.contentWindow) return;
    var message = { source: FROM_SDK, type: type };
    Object.keys(payload || {}).forEach(function (key) {
      message[key] = payload[key];
    });
    state.iframe.contentWindow.postMessage(message, state.origin);
  }

  /** validatePayment, then beforePayment (Ottu's hooks): both must resolve for the payment to go on. */
  function beforePayment(data) {
    var hooks = [callback('validatePayment'), callback('beforePayment')].filter(Boolean);
    return hooks.reduce(function (chain, hook) {
      return chain.then(function () {
        return hook(data);
      });
    }, Promise.resolve());
  }

  function onMessage(state, event) {
    if (current !== state || event.source !== state.iframe.contentWindow || event.origin !== state.origin)
      return;
    var msg = event.data;
    if (!msg || typeof msg !== 'object' || msg.source !== FROM_FRAME) return;
    switch (msg.type) {
      case 'ready': {
        state.ready = true;
        state.challenge = false;
        clearTimeout(state.readyTimer);
        // the preload describes the session as it was created: only for the first rendering
        var preload = state.preloadSent ? undefined : state.config.setupPreload;
        state.preloadSent = true;
        send(state, 'setup', { setupPreload: preload, theme: state.config.theme });
        return;
      }
      case 'resize':
        if (typeof msg.height === 'number' && msg.height > 0) {
          state.iframe.style.height = Math.max(MIN_HEIGHT, Math.ceil(msg.height)) + 'px';
        }
        return;
      case 'challenge':
        // 3-D Secure runs inside the frame, which then reloads itself with the outcome
        state.challenge = true;
        state.ready = false;
        if (state.iframe.scrollIntoView) state.iframe.scrollIntoView({ block: 'nearest' });
        return;
      case 'before_payment':
        beforePayment(msg.data || {}).then(
          function () {
            send(state, 'before_payment_result', { id: msg.id, ok: true });
          },
          function (error) {
            console.error('Checkout: payment halted by beforePayment/validatePayment', error);
            send(state, 'before_payment_result', { id: msg.id, ok: false });
          },
        );
        return;
      case 'result':
        if (msg.callback === 'success' || msg.callback === 'error' || msg.callback === 'cancel') {
          if (state.iframe.scrollIntoView) state.iframe.scrollIntoView({ block: 'nearest' });
          call(msg.callback, msg.data || {});
        }
        return;
      case 'card_deleted':
        state.host.dispatchEvent(new CustomEvent('tokenpay:card-deleted', { detail: msg.card || {} }));
        return;
      default:
    }
  }

  window.Checkout = {
    init: init,
    /** Renders the session again, fetched fresh (after an error, or when it changed). */
    reload: function () {
      if (!current) return;
      var config = {};
      Object.keys(current.config).forEach(function (key) {
        if (key !== 'setupPreload') config[key] = current.config[key];
      });
      init(config);
    },
    /** Shows a message over the form: type `error`, `success` or `redirect`. */
    showPopup: function (type, message, pgResponse) {
      if (!current) return;
      send(current, 'popup', { popupType: type, message: message, pgResponse: pgResponse || null });
    },
  };
})();

/*
 * tokenpay hosted checkout — plain browser JavaScript (ES2020), served as-is with no build step.
 *
 * The page is served with `script-src 'self'`: everything the script needs comes from the
 * non-executed `<script type="application/json" id="checkout-data">` block and `data-*`
 * attributes rendered by src/web/page.ts.
 *
 * The pure helpers at the top (luhn, detectBrand, formatNumber, validateCard, ...) have no DOM
 * dependency; they are exported through `module.exports` when loaded by Node (unit tests) and the
 * DOM wiring at the bottom runs only in a browser.
 *
 * Card data is read from the inputs at submit time, sent once to the submit URL and never stored
 * anywhere else (no web storage, no logging).
 */
(function () {
  'use strict';

  // ---------------------------------------------------------------------------------------------
  // Pure helpers
  // ---------------------------------------------------------------------------------------------

  /** Arabic-Indic (U+0660..) and Extended Arabic-Indic (U+06F0..) digits → ASCII digits. */
  function toLatinDigits(value) {
    return String(value == null ? '' : value)
      .replace(/[\u0660-\u0669]/g, function (c) {
        return String(c.charCodeAt(0) - 0x0660);
      })
      .replace(/[\u06f0-\u06f9]/g, function (c) {
        return String(c.charCodeAt(0) - 0x06f0);
      });
  }

  function digitsOnly(value) {
    return toLatinDigits(value).replace(/\D/g, '');
  }

  /** Luhn (mod 10) check of a card number; spaces/dashes are ignored, anything else fails. */
  function luhn(number) {
    var s = toLatinDigits(number).replace(/[\s-]/g, '');
    if (!/^\d+$/.test(s)) return false;
    var sum = 0;
    var double = false;
    for (var i = s.length - 1; i >= 0; i--) {
      var d = s.charCodeAt(i) - 48;
      if (double) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
      double = !double;
    }
    return sum % 10 === 0;
  }

  /**
   * Card brand rules come from the server (domain/card.ts, rendered into #checkout-data): for
   * each brand its number prefixes (`4`, or a range such as `[51, 55]`), lengths, digit groups
   * and CVV length. The page keeps no copy of them; these helpers only apply them.
   */

  /** True once the digits typed so far begin with the whole pattern. */
  function matchesPattern(digits, pattern) {
    if (typeof pattern === 'number') return digits.indexOf(String(pattern)) === 0;
    var width = String(pattern[0]).length;
    if (digits.length < width) return false;
    var prefix = Number(digits.slice(0, width));
    return prefix >= pattern[0] && prefix <= pattern[1];
  }

  /** The rule of the brand the number begins with, or null while unknown or for other networks. */
  function ruleFor(number, rules) {
    var d = digitsOnly(number);
    var list = rules || [];
    for (var i = 0; i < list.length; i++) {
      for (var j = 0; j < list[i].patterns.length; j++) {
        if (matchesPattern(d, list[i].patterns[j])) return list[i];
      }
    }
    return null;
  }

  function detectBrand(number, rules) {
    var rule = ruleFor(number, rules);
    return rule ? rule.brand : null;
  }

  var ANY_LENGTH = { min: 12, max: 19 };

  /** Groups digits as typed at the brand's gaps (Amex 4-6-5), 4 by 4 otherwise. Drops non-digits. */
  function formatNumber(value, rules) {
    var rule = ruleFor(value, rules);
    var max = rule ? Math.max.apply(null, rule.lengths) : ANY_LENGTH.max;
    var d = digitsOnly(value).slice(0, max);
    var gaps = rule ? rule.gaps.slice() : [4, 8, 12];
    // past the last gap, groups keep the last group's width (a 19-digit Visa: 4-4-4-4-3)
    var step = gaps.length > 1 ? gaps[gaps.length - 1] - gaps[gaps.length - 2] : 4;
    while (gaps[gaps.length - 1] + step < d.length) gaps.push(gaps[gaps.length - 1] + step);
    var groups = [];
    var from = 0;
    gaps.concat([d.length]).forEach(function (to) {
      if (to > from && from < d.length) groups.push(d.slice(from, Math.min(to, d.length)));
      from = to;
    });
    return groups.join(' ');
  }

  /** Formats an expiry field as typed: "4" → "04", "042" → "04/2", "1/39" → "01/39". */
  function formatExpiry(value) {
    var s = toLatinDigits(value);
    var sep = /[\/\-. ]/.exec(s);
    if (sep) {
      var month = digitsOnly(s.slice(0, sep.index)).slice(0, 2);
      var year = digitsOnly(s.slice(sep.index + 1)).slice(0, 4);
      if (month.length === 1) month = '0' + month;
      if (!month) return year;
      return month + '/' + year;
    }
    var d = digitsOnly(s).slice(0, 6);
    if (d.charAt(0) > '1')
      d = '0' + d; // "4" → "04"
    else if (d.charAt(0) === '1' && d.charAt(1) > '2') d = '0' + d; // "13" → "01/3"
    d = d.slice(0, 6);
    if (d.length > 2) return d.slice(0, 2) + '/' + d.slice(2);
    return d;
  }

  /** "MM/YY", "M/YY", "MMYY", "MM/YYYY" → {month: "MM", year: "YY"}; null when malformed. */
  function parseExpiry(value) {
    var s = toLatinDigits(value).trim();
    var m = /^(\d{1,2})\s*[\/\-. ]\s*(\d{2}|\d{4})$/.exec(s) || /^(\d{2})(\d{2}|\d{4})$/.exec(s);
    if (!m) return null;
    var month = Number(m[1]);
    if (month < 1 || month > 12) return null;
    var year = m[2];
    if (year.length === 4) {
      if (year.slice(0, 2) !== '20') return null;
      year = year.slice(2);
    }
    return { month: (month < 10 ? '0' : '') + String(month), year: year };
  }

  /** A card is valid through the last day of its expiry month. */
  function isExpiryInFuture(month, year, now) {
    var y = 2000 + Number(year);
    var m = Number(month);
    var ny = now.getFullYear();
    var nm = now.getMonth() + 1;
    return y > ny || (y === ny && m >= nm);
  }

  /** Returns an error message key, or null. `length` is the card brand's CVV length. */
  function validateCvv(cvv, length) {
    var d = toLatinDigits(cvv).trim();
    if (!d) return 'err_cvv_required';
    var len = length;
    if (!/^\d+$/.test(d) || d.length !== len) return len === 4 ? 'err_cvv_length_4' : 'err_cvv_length_3';
    return null;
  }

  /**
   * Validates a new card. `input`: {name, number, expiry ("MM/YY"), cvv}; `cards`: the brand rules
   * and the CVV length of other cards. Returns {valid, brand, errors: {name?, number?, expiry?,
   * cvv?} (message keys), card} where `card` is the submit payload's `card` object (number as
   * digits only, expiry_month "MM", expiry_year "YY").
   */
  function validateCard(input, cards, now) {
    var at = now || new Date();
    var errors = {};
    var name = String((input && input.name) || '')
      .replace(/\s+/g, ' ')
      .trim();
    var number = digitsOnly(input && input.number);
    var rawNumber = toLatinDigits((input && input.number) || '').replace(/[\s-]/g, '');
    var rule = ruleFor(number, cards.brands);
    var brand = rule ? rule.brand : null;
    var expiry = parseExpiry((input && input.expiry) || '');
    var cvv = toLatinDigits((input && input.cvv) || '').trim();

    if (!name) errors.name = 'err_name_required';

    if (!rawNumber) errors.number = 'err_number_required';
    else if (/\D/.test(rawNumber)) errors.number = 'err_number_invalid';
    else {
      var lengths = rule ? rule.lengths : null;
      var okLength = lengths
        ? lengths.indexOf(number.length) !== -1
        : number.length >= 12 && number.length <= 19;
      var maxLen = lengths ? lengths[lengths.length - 1] : 19;
      if (!okLength && number.length < maxLen) errors.number = 'err_number_incomplete';
      else if (!okLength || !luhn(number)) errors.number = 'err_number_invalid';
    }

    if (!String((input && input.expiry) || '').trim()) errors.expiry = 'err_expiry_required';
    else if (!expiry) errors.expiry = 'err_expiry_invalid';
    else if (!isExpiryInFuture(expiry.month, expiry.year, at)) errors.expiry = 'err_expiry_past';

    var cvvError = validateCvv(cvv, rule ? rule.cvvLength : cards.unknownCvvLength);
    if (cvvError) errors.cvv = cvvError;

    return {
      valid: Object.keys(errors).length === 0,
      brand: brand,
      errors: errors,
      card: {
        name_on_card: name,
        number: number,
        expiry_month: expiry ? expiry.month : '',
        expiry_year: expiry ? expiry.year : '',
        cvv: cvv,
      },
    };
  }

  /** Flattens DRF-style error values (string | string[] | nested object) into strings. */
  function flattenMessages(value) {
    if (value == null) return [];
    if (typeof value === 'string') return [value];
    if (Array.isArray(value)) {
      return value.reduce(function (acc, v) {
        return acc.concat(flattenMessages(v));
      }, []);
    }
    if (typeof value === 'object') {
      return Object.keys(value).reduce(function (acc, k) {
        return acc.concat(flattenMessages(value[k]));
      }, []);
    }
    return [String(value)];
  }

  var CARD_FIELD_IDS = {
    name_on_card: 'cc-name',
    number: 'cc-number',
    expiry_month: 'cc-exp',
    expiry_year: 'cc-exp',
    cvv: 'cc-csc',
  };

  /**
   * Maps a 400 body `{field: [msgs]}` (with `card: {number: [..]}` nested) to
   * {fields: {<input id>: "msg"}, savedCvv: "msg" | null, general: ["msg"]}.
   */
  function mapFieldErrors(body) {
    var out = { fields: {}, savedCvv: null, general: [] };
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      out.general = flattenMessages(body);
      return out;
    }
    function add(id, msgs) {
      if (!msgs.length) return;
      out.fields[id] = out.fields[id] ? out.fields[id] + ' ' + msgs.join(' ') : msgs.join(' ');
    }
    Object.keys(body).forEach(function (key) {
      var value = body[key];
      if (key === 'card' && value && typeof value === 'object' && !Array.isArray(value)) {
        Object.keys(value).forEach(function (k) {
          var id = CARD_FIELD_IDS[k];
          if (id) add(id, flattenMessages(value[k]));
          else out.general = out.general.concat(flattenMessages(value[k]));
        });
      } else if (key === 'cvv') {
        var msgs = flattenMessages(value);
        out.savedCvv = msgs.length ? msgs.join(' ') : null;
      } else {
        out.general = out.general.concat(flattenMessages(value));
      }
    });
    return out;
  }

  var PAYABLE_STATES = ['created', 'pending', 'attempted'];

  /** True for http(s) URLs and same-origin paths (never javascript:/data:). */
  function isSafeUrl(url, base) {
    if (typeof url !== 'string' || !url) return false;
    try {
      var u = new URL(url, base || 'http://localhost/');
      return u.protocol === 'https:' || u.protocol === 'http:';
    } catch (_e) {
      return false;
    }
  }

  /**
   * Decides what the page does with a submit response:
   *   {kind: 'success', body}         — show the success panel (redirect after ~2 s if redirectUrl)
   *   {kind: 'redirect', url}         — 3-D Secure: navigate to the challenge page
   *   {kind: 'retry', message}        — attempt failed, the session still takes payments
   *   {kind: 'final', body}           — final failure / closed session: hide the form
   *   {kind: 'pending', body}         — accepted, outcome not known yet
   *   {kind: 'fields', errors}        — 400 field errors (see mapFieldErrors)
   *   {kind: 'detail', message, closed} — 409/423/429/other errors with {detail}
   */
  function classifyResponse(status, body) {
    var b = body && typeof body === 'object' ? body : {};
    if (status === 200 && b.result) {
      if (b.result === 'success') {
        return {
          kind: 'success',
          body: b,
          redirectUrl: isSafeUrl(b.redirect_url) ? b.redirect_url : null,
        };
      }
      if (b.result === 'pending') {
        var next = b.next_action;
        if (next && isSafeUrl(next.url)) return { kind: 'redirect', url: next.url };
        return { kind: 'pending', body: b };
      }
      if (PAYABLE_STATES.indexOf(b.state) !== -1)
        return { kind: 'retry', message: b.message || null, body: b };
      return { kind: 'final', body: b };
    }
    if (status === 400 && b && typeof b.detail !== 'string') {
      return { kind: 'fields', errors: mapFieldErrors(body) };
    }
    var detail = typeof b.detail === 'string' ? b.detail : null;
    return {
      kind: 'detail',
      status: status,
      message: detail,
      closed: status === 409,
    };
  }

  function interpolate(template, vars) {
    return String(template).replace(/\{(\w+)\}/g, function (whole, name) {
      return vars && Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
    });
  }

  var helpers = {
    toLatinDigits: toLatinDigits,
    digitsOnly: digitsOnly,
    luhn: luhn,
    detectBrand: detectBrand,
    ruleFor: ruleFor,
    formatNumber: formatNumber,
    formatExpiry: formatExpiry,
    parseExpiry: parseExpiry,
    isExpiryInFuture: isExpiryInFuture,
    validateCvv: validateCvv,
    validateCard: validateCard,
    mapFieldErrors: mapFieldErrors,
    classifyResponse: classifyResponse,
    isSafeUrl: isSafeUrl,
    interpolate: interpolate,
  };

  if (typeof module !== 'undefined' && module.exports) module.exports = helpers;

  // ---------------------------------------------------------------------------------------------
  // DOM wiring (browser only)
  // ---------------------------------------------------------------------------------------------

  if (typeof document === 'undefined') return;

  var SUCCESS_REDIRECT_DELAY_MS = 2000;
  var REQUEST_TIMEOUT_MS = 120000;

  /**
   * Wires the payment form in `root`. The hosted page mounts itself (below); the SDK frame
   * (sdk-frame.js) mounts once it has rendered the session, with `hooks`:
   *   beforePay(summary) → Promise<boolean>: false stops the payment (the merchant's beforePayment);
   *     `summary` describes the card without its number or CVV
   *   onResult(action, context): after every answer to a submit (see classifyResponse)
   *   onChallenge(url): 3-D Secure; the default navigates this window to the gateway's page
   *   onCardRemoved(card): after the customer removed a saved card
   *   followRedirect: false → a success does not send this window to the merchant's redirect_url
   */
  function mount(options) {
    var root = options.root;
    var data = options.data || {};
    var form = options.form;
    var hooks = options.hooks || {};
    if (!root || !form) return;
    var messages = data.messages || {};
    var cards = data.cards || { brands: [], unknownCvvLength: 3 };
    function t(key, vars) {
      return interpolate(messages[key] || key, vars || {});
    }
    function byId(id) {
      return document.getElementById(id);
    }

    var status = byId('status');
    var payButton = byId('pay-button');
    var payLabel = payButton.querySelector('.pay-button__label');
    var payBusy = payButton.querySelector('.pay-button__busy');
    var newCard = byId('new-card');
    var inputs = {
      name: byId('cc-name'),
      number: byId('cc-number'),
      expiry: byId('cc-exp'),
      cvv: byId('cc-csc'),
    };
    var brandBadge = byId('cc-number-brand');
    var cvvHint = byId('cc-csc-hint');
    var saveField = byId('save-card-field');
    var saveBox = byId('save-card');
    var inFlight = false;

    // --- status region & field errors ---------------------------------------------------------

    function setStatus(lines, kind) {
      var list = (Array.isArray(lines) ? lines : [lines]).filter(Boolean);
      status.textContent = '';
      status.className = 'status' + (kind && list.length ? ' status--' + kind : '');
      list.forEach(function (line) {
        var p = document.createElement('p');
        p.dir = 'auto'; // server messages may be in another script than the page
        p.textContent = line;
        status.appendChild(p);
      });
    }

    function setFieldError(inputId, text) {
      var input = byId(inputId);
      var slot = byId(inputId + '-error');
      if (slot) slot.textContent = text || '';
      if (input) {
        if (text) input.setAttribute('aria-invalid', 'true');
        else input.removeAttribute('aria-invalid');
        var field = input.closest('.field');
        if (field) field.classList.toggle('field--invalid', Boolean(text));
      }
    }

    function clearErrors() {
      form.querySelectorAll('[aria-invalid="true"]').forEach(function (el) {
        setFieldError(el.id, '');
      });
      form.querySelectorAll('.field__error').forEach(function (el) {
        el.textContent = '';
      });
    }

    // --- selection helpers --------------------------------------------------------------------

    function selectedMethod() {
      return (
        form.querySelector('input[name="pg_code"]:checked') ||
        form.querySelector('input[name="pg_code"][type="hidden"]')
      );
    }

    function selectedSource() {
      var radio = form.querySelector('input[name="source"]:checked');
      return radio && radio.value !== 'new' ? radio : null;
    }

    function usingNewCard() {
      return !form.querySelector('input[name="source"]') || !selectedSource();
    }

    function savedCvvInput(radio) {
      return byId('saved-cvv-' + radio.getAttribute('data-cvv-index'));
    }

    function syncSaveCheckbox() {
      if (!saveField) return;
      var method = selectedMethod();
      var allowed = Boolean(method && method.getAttribute('data-can-save-card') === 'true');
      saveField.hidden = !allowed;
      if (!allowed && saveBox) saveBox.checked = false;
    }

    function syncSource() {
      var source = selectedSource();
      if (newCard) newCard.hidden = Boolean(source);
      form.querySelectorAll('input[name="source"]').forEach(function (radio) {
        var field = byId('saved-cvv-field-' + radio.getAttribute('data-cvv-index'));
        if (!field) return;
        var show = radio.checked && radio.getAttribute('data-cvv-required') === 'true';
        field.hidden = !show;
        if (!show) {
          var input = savedCvvInput(radio);
          if (input) input.value = '';
          setFieldError('saved-cvv-' + radio.getAttribute('data-cvv-index'), '');
        }
      });
    }

    // --- as-you-type formatting ---------------------------------------------------------------

    /** Rewrites `input.value` with `formatter`, keeping the caret after the same digit. */
    function reformat(input, formatter) {
      var old = input.value;
      var pos = typeof input.selectionStart === 'number' ? input.selectionStart : old.length;
      var digitsBefore = digitsOnly(old.slice(0, pos)).length;
      var next = formatter(old);
      if (next === old) return;
      input.value = next;
      if (document.activeElement !== input) return;
      var i = 0;
      var seen = 0;
      while (i < next.length && seen < digitsBefore) {
        if (/\d/.test(next.charAt(i))) seen++;
        i++;
      }
      if (pos >= old.length) i = next.length;
      try {
        input.setSelectionRange(i, i);
      } catch (_e) {
        /* some input types do not support selection */
      }
    }

    function updateBrand() {
      var rule = ruleFor(inputs.number.value, cards.brands);
      var brand = rule ? rule.brand : null;
      if (brandBadge) {
        brandBadge.textContent = brand ? t('brand_' + brand) : '';
        brandBadge.className = 'brand-badge' + (brand ? ' brand-badge--' + brand : '');
      }
      if (inputs.cvv) {
        // until the brand is known, the longest code any brand has may be typed
        var longest = cards.brands.reduce(function (max, r) {
          return Math.max(max, r.cvvLength);
        }, cards.unknownCvvLength);
        var len = rule ? rule.cvvLength : longest;
        inputs.cvv.maxLength = len;
        inputs.cvv.placeholder = new Array((rule ? rule.cvvLength : cards.unknownCvvLength) + 1).join('•');
        if (inputs.cvv.value.length > len) inputs.cvv.value = inputs.cvv.value.slice(0, len);
      }
      if (cvvHint) cvvHint.textContent = t(brand === 'amex' ? 'cvv_hint_amex' : 'cvv_hint');
    }

    if (inputs.number) {
      inputs.number.addEventListener('input', function () {
        reformat(inputs.number, function (value) {
          return formatNumber(value, cards.brands);
        });
        updateBrand();
        setFieldError('cc-number', '');
      });
    }
    if (inputs.expiry) {
      inputs.expiry.addEventListener('input', function (ev) {
        var deleting = ev && typeof ev.inputType === 'string' && ev.inputType.indexOf('delete') === 0;
        if (!deleting) reformat(inputs.expiry, formatExpiry);
        setFieldError('cc-exp', '');
      });
    }
    function digitsField(input) {
      input.addEventListener('input', function () {
        var d = digitsOnly(input.value);
        if (d !== input.value) input.value = d;
        setFieldError(input.id, '');
      });
    }
    if (inputs.cvv) digitsField(inputs.cvv);
    form.querySelectorAll('.saved-cvv__input').forEach(digitsField);
    if (inputs.name) {
      inputs.name.addEventListener('input', function () {
        setFieldError('cc-name', '');
      });
    }

    form.addEventListener('change', function (ev) {
      var target = ev.target;
      if (!target || !target.name) return;
      if (target.name === 'pg_code') syncSaveCheckbox();
      if (target.name === 'source') {
        syncSource();
        var source = selectedSource();
        if (source && source.getAttribute('data-cvv-required') === 'true') {
          var cvv = savedCvvInput(source);
          if (cvv) cvv.focus();
        }
      }
    });

    // --- submit -------------------------------------------------------------------------------

    function setBusy(busy) {
      inFlight = busy;
      payButton.disabled = busy;
      payButton.setAttribute('aria-busy', busy ? 'true' : 'false');
      if (payLabel) payLabel.hidden = busy;
      if (payBusy) payBusy.hidden = !busy;
      form.querySelectorAll('fieldset').forEach(function (fs) {
        fs.disabled = busy;
      });
    }

    function focusFirstInvalid() {
      var first = form.querySelector('[aria-invalid="true"]');
      if (first) first.focus();
    }

    /** Builds the submit body, or returns null after showing validation errors. */
    function buildPayload() {
      var method = selectedMethod();
      var pgCode = method ? method.value : '';
      var source = selectedSource();
      if (source) {
        var payload = {
          pg_code: source.getAttribute('data-pg-code') || pgCode,
          payment_method: 'token',
          token: source.value,
        };
        if (source.getAttribute('data-cvv-required') === 'true') {
          var input = savedCvvInput(source);
          var cvv = input ? digitsOnly(input.value) : '';
          var err = validateCvv(cvv, Number(source.getAttribute('data-cvv-length')));
          if (err) {
            setFieldError(input.id, t(err));
            return null;
          }
          payload.cvv = cvv;
        }
        return payload;
      }
      if (!usingNewCard()) {
        setStatus(t('err_select_card'), 'error');
        return null;
      }
      var result = validateCard(
        {
          name: inputs.name.value,
          number: inputs.number.value,
          expiry: inputs.expiry.value,
          cvv: inputs.cvv.value,
        },
        cards,
      );
      if (!result.valid) {
        if (result.errors.name) setFieldError('cc-name', t(result.errors.name));
        if (result.errors.number) setFieldError('cc-number', t(result.errors.number));
        if (result.errors.expiry) setFieldError('cc-exp', t(result.errors.expiry));
        if (result.errors.cvv) setFieldError('cc-csc', t(result.errors.cvv));
        return null;
      }
      return {
        pg_code: pgCode,
        payment_method: 'card',
        card: result.card,
        save_card: Boolean(saveBox && saveField && !saveField.hidden && saveBox.checked),
      };
    }

    /** Empties and removes every card-data input (after success or when leaving for 3-D Secure). */
    function wipeCardData(removeForm) {
      form.querySelectorAll('input[type="text"], input:not([type])').forEach(function (input) {
        input.value = '';
      });
      if (removeForm) form.remove();
    }

    function showOutcome(variant, title, message, reference, extra) {
      var panel = byId('outcome');
      if (!panel) return;
      panel.className = 'outcome outcome--' + variant;
      byId('outcome-title').textContent = title;
      byId('outcome-message').textContent = message || '';
      byId('outcome-message').hidden = !message;
      var details = byId('outcome-details');
      byId('outcome-reference').textContent = reference || '';
      details.hidden = !reference;
      panel.querySelectorAll('.outcome__extra').forEach(function (el) {
        el.remove();
      });
      if (extra) {
        var p = document.createElement('p');
        p.className = 'outcome__extra';
        p.dir = 'auto';
        p.textContent = extra;
        panel.appendChild(p);
      }
      panel.hidden = false;
      byId('outcome-title').focus();
    }

    function titleForState(state, fallback) {
      var map = {
        paid: 'title_success',
        authorized: 'title_authorized',
        failed: 'title_failed',
        expired: 'title_expired',
        canceled: 'title_canceled',
        refunded: 'title_refunded',
        voided: 'title_voided',
      };
      return t(map[state] || fallback);
    }

    function handle(status, body, context) {
      var action = classifyResponse(status, body);
      handleAction(action);
      if (hooks.onResult) hooks.onResult(action, context);
    }

    function handleAction(action) {
      switch (action.kind) {
        case 'success': {
          wipeCardData(true);
          setStatus('', null);
          var b = action.body;
          showOutcome(
            'success',
            titleForState(b.state, 'title_success'),
            null, // the title says it all
            b.reference_number,
            action.redirectUrl ? t('redirecting', { merchant: data.merchantName || '' }) : null,
          );
          if (action.redirectUrl && hooks.followRedirect !== false) {
            var url = action.redirectUrl;
            setTimeout(function () {
              window.location.assign(url);
            }, SUCCESS_REDIRECT_DELAY_MS);
          }
          return;
        }
        case 'redirect':
          wipeCardData(false);
          setStatus(t('redirect_3ds'), 'info');
          if (hooks.onChallenge) hooks.onChallenge(action.url);
          else window.location.assign(action.url);
          return; // keep the button disabled while the browser navigates
        case 'pending':
          wipeCardData(true);
          setStatus('', null);
          showOutcome('pending', t('title_pending'), action.body.message, action.body.reference_number, null);
          return;
        case 'retry':
          setBusy(false);
          if (inputs.cvv) inputs.cvv.value = '';
          form.querySelectorAll('.saved-cvv__input').forEach(function (el) {
            el.value = '';
          });
          setStatus([action.message, t('attempt_failed')], 'error');
          return;
        case 'final':
          wipeCardData(true);
          setStatus('', null);
          showOutcome(
            'failed',
            titleForState(action.body.state, 'title_failed'),
            action.body.message,
            action.body.reference_number,
            null,
          );
          return;
        case 'fields': {
          setBusy(false);
          var errs = action.errors;
          Object.keys(errs.fields).forEach(function (id) {
            setFieldError(id, errs.fields[id]);
          });
          var source = selectedSource();
          if (errs.savedCvv) {
            var input = source ? savedCvvInput(source) : null;
            if (input) setFieldError(input.id, errs.savedCvv);
            else errs.general.push(errs.savedCvv);
          }
          setStatus(errs.general.length ? errs.general : t('fix_errors'), 'error');
          focusFirstInvalid();
          return;
        }
        default:
          if (action.closed) {
            setBusy(false);
            payButton.disabled = true;
          } else {
            setBusy(false);
          }
          setStatus(action.message || t('server_error'), 'error');
      }
    }

    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (inFlight) return;
      clearErrors();
      var payload = buildPayload();
      if (!payload) {
        if (status.textContent === '') setStatus(t('fix_errors'), 'error');
        focusFirstInvalid();
        return;
      }
      setStatus('', null);
      setBusy(true);
      setStatus(t('processing'), 'info');
      var context = { method: payload.payment_method, card: cardSummary(payload) };
      var proceed = hooks.beforePay ? hooks.beforePay(context) : Promise.resolve(true);
      Promise.resolve(proceed)
        .catch(function () {
          return false;
        })
        .then(function (ok) {
          if (ok) return send(payload, context);
          payload = null;
          setBusy(false);
          setStatus('', null);
        });
    });

    /** What a merchant may know of the card being paid with: never its number or CVV. */
    function cardSummary(payload) {
      if (payload.payment_method === 'card') {
        var digits = payload.card.number;
        var rule = ruleFor(digits, cards.brands);
        return {
          number: digits.slice(0, 6) + new Array(digits.length - 9).join('X') + digits.slice(-4),
          expiry_month: payload.card.expiry_month,
          expiry_year: payload.card.expiry_year,
          brand: rule ? rule.brand.toUpperCase() : 'UNKNOWN',
          scheme: rule ? t('brand_' + rule.brand) : '',
        };
      }
      var source = selectedSource();
      var row = source ? source.closest('.choice--card') : null;
      var digitsEl = row ? row.querySelector('.card-digits') : null;
      var brand = source ? source.getAttribute('data-brand') || 'unknown' : 'unknown';
      return {
        number: digitsEl ? digitsEl.textContent : '',
        brand: brand.toUpperCase(),
        scheme: messages['brand_' + brand] || '',
        token: payload.token,
      };
    }

    function send(payload, context) {
      var controller = typeof AbortController !== 'undefined' ? new AbortController() : null;
      var timer = controller
        ? setTimeout(function () {
            controller.abort();
          }, REQUEST_TIMEOUT_MS)
        : null;
      var body = JSON.stringify(payload);
      payload = null;

      fetch(data.submitUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'X-CSRF-Token': data.csrfToken,
        },
        body: body,
        credentials: 'same-origin',
        cache: 'no-store',
        signal: controller ? controller.signal : undefined,
      })
        .then(function (res) {
          return res
            .json()
            .catch(function () {
              return null;
            })
            .then(function (json) {
              if (timer) clearTimeout(timer);
              handle(res.status, json, context);
            });
        })
        .catch(function () {
          if (timer) clearTimeout(timer);
          setBusy(false);
          setStatus(t('network_error'), 'error');
          if (hooks.onResult) hooks.onResult({ kind: 'network' }, context);
        });
    }

    // --- removing a saved card ------------------------------------------------------------------

    var removeDialog = byId('remove-dialog');
    var removal = null;

    function cardName(row) {
      var name = row.querySelector('.choice__text .visually-hidden');
      return name ? name.textContent : '';
    }

    form.addEventListener('click', function (ev) {
      var button = ev.target && ev.target.closest ? ev.target.closest('.card-delete') : null;
      if (!button || inFlight) return;
      var row = button.closest('.choice--card');
      if (!row) return;
      removal = { row: row, button: button };
      if (!removeDialog || typeof removeDialog.showModal !== 'function') {
        if (window.confirm(t('remove_message', { card: cardName(row) }))) removeCard(removal);
        return;
      }
      byId('remove-message').textContent = t('remove_message', { card: cardName(row) });
      removeDialog.returnValue = '';
      removeDialog.showModal();
      byId('remove-keep').focus(); // keeping the card is the safe default
    });

    if (removeDialog) {
      byId('remove-confirm').addEventListener('click', function () {
        removeDialog.close('remove');
      });
      byId('remove-keep').addEventListener('click', function () {
        removeDialog.close('keep');
      });
      removeDialog.addEventListener('close', function () {
        var chosen = removal;
        if (!chosen) return;
        if (removeDialog.returnValue === 'remove') removeCard(chosen);
        else chosen.button.focus();
      });
    }

    function removeCard(chosen) {
      var button = chosen.button;
      button.disabled = true;
      setStatus('', null);
      fetch(button.getAttribute('data-delete-url'), {
        method: 'DELETE',
        headers: { Accept: 'application/json', 'X-CSRF-Token': data.csrfToken },
        credentials: 'same-origin',
        cache: 'no-store',
      })
        .then(function (res) {
          if (res.status === 204) return removed(chosen.row);
          return res
            .json()
            .catch(function () {
              return null;
            })
            .then(function (body) {
              button.disabled = false;
              setStatus(
                (body && typeof body.detail === 'string' && body.detail) || t('server_error'),
                'error',
              );
              button.focus();
            });
        })
        .catch(function () {
          button.disabled = false;
          setStatus(t('network_error'), 'error');
          button.focus();
        })
        .then(function () {
          removal = null;
        });
    }

    function removed(row) {
      var radio = row.querySelector('input[name="source"]');
      var digits = row.querySelector('.card-digits');
      var card = {
        token: radio ? radio.value : '',
        brand: radio ? radio.getAttribute('data-brand') : '',
        number: digits ? digits.textContent : '',
      };
      var wasChecked = Boolean(radio && radio.checked);
      row.remove();
      var left = form.querySelectorAll('.choice--card');
      var focusTarget = null;
      if (!left.length) {
        var list = byId('saved-cards');
        if (list) list.remove();
        focusTarget = inputs.name;
      } else if (wasChecked) {
        var next =
          form.querySelector('.choice--card input[name="source"]:not(:disabled)') || byId('source-new');
        if (next) next.checked = true;
      }
      syncSource();
      if (!focusTarget) focusTarget = form.querySelector('input[name="source"]:checked');
      setStatus(t('card_removed'), 'info');
      if (focusTarget) focusTarget.focus();
      if (hooks.onCardRemoved) hooks.onCardRemoved(card);
    }

    syncSaveCheckbox();
    syncSource();
    if (inputs.number) updateBrand();
    payButton.disabled = false;
    root.classList.add('is-ready');
    return { setStatus: setStatus };
  }

  /** The hosted page mounts itself; the SDK frame (data-mount="manual") mounts once it has rendered. */
  function init() {
    var root = document.getElementById('checkout');
    var dataEl = document.getElementById('checkout-data');
    var form = document.getElementById('pay-form');
    if (!root || !dataEl || !form || root.getAttribute('data-mount') === 'manual') return;
    var data;
    try {
      data = JSON.parse(dataEl.textContent || '{}');
    } catch (_e) {
      return;
    }
    mount({ root: root, data: data, form: form });
  }

  window.TokenpayCheckout = { mount: mount, helpers: helpers };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();

/*
 * The demo shop's page script: Ottu's callbacks as a merchant writes them, then Checkout.init.
 * Every callback is listed on the page, so one can see what a merchant's page learns (and that
 * it never learns a card number or a CVV).
 */
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('shop-config').textContent);
  var events = document.getElementById('events');

  function show(kind, data) {
    var item = document.createElement('li');
    item.className = 'event event--' + kind;
    item.setAttribute('data-kind', kind);
    var title = document.createElement('strong');
    title.textContent = kind;
    var pre = document.createElement('pre');
    pre.textContent = JSON.stringify(data, null, 2);
    item.appendChild(title);
    item.appendChild(pre);
    events.appendChild(item);
  }

  window.successCallback = function (data) {
    show('success', data);
    // a real shop would now go to its order page: window.location.href = data.redirect_url;
  };
  window.errorCallback = function (data) {
    show('error', data);
    if (data.form_of_payment === 'token_pay' || data.challenge_occurred) {
      window.Checkout.showPopup('error', data.message || 'Something went wrong. Try again.');
    }
  };
  window.cancelCallback = function (data) {
    show('cancel', data);
  };
  window.beforePayment = function (data) {
    show('beforePayment', data);
    return Promise.resolve(true);
  };
  document.getElementById('checkout').addEventListener('tokenpay:card-deleted', function (event) {
    show('cardDeleted', event.detail);
  });

  window.Checkout.init(config);
})();

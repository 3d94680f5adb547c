/*
 * tokenpay Web Checkout SDK — the end of a 3-D Secure challenge inside the payment frame.
 *
 * The gateway's challenge page runs in an iframe inside tokenpay's frame and, once answered,
 * returns here. This page only tells the frame (its parent, on tokenpay's own origin) that the
 * challenge is over; the frame then shows the outcome and tells the merchant's page.
 */
(function () {
  'use strict';
  if (window.parent === window) return;
  window.parent.postMessage({ source: 'tokenpay-challenge', type: 'challenge_done' }, window.location.origin);
})();

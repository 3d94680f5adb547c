import type { ChargeRecord } from './model';

/** Headers for the simulator's HTML pages: no scripts at all, nothing cached. */
export const HTML_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

const STYLE = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem}.row{display:flex;gap:1rem;margin-top:1.5rem}form{margin:0}
button{font-size:1rem;padding:.6rem 1.4rem;border-radius:.4rem;border:1px solid #888;cursor:pointer}
#approve{background:#1a7f37;color:#fff;border-color:#1a7f37}#reject{background:#fff;color:#b42318}`;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${body}
</body>
</html>
`;
}

/** "12.500 KWD" from minor units, using the currency's ISO 4217 exponent where Intl knows it. */
export function formatAmount(amount: number, currency: string): string {
  let digits = 2;
  try {
    digits =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2;
  } catch {
    return `${amount} ${currency} (minor units)`;
  }
  const major = digits === 0 ? String(amount) : (amount / 10 ** digits).toFixed(digits);
  return `${major} ${currency}`;
}

/** The challenge page: two forms posting outcome=approve|reject to the challenge URL itself. */
export function renderChallengePage(charge: ChargeRecord, actionUrl: string): string {
  const action = escapeHtml(actionUrl);
  const card = `${charge.card.brand.toUpperCase()} •••• ${charge.card.last4}`;
  return page(
    '3-D Secure authentication',
    `<h1>3-D Secure authentication</h1>
<p>Simulated issuer check for a payment of <strong>${escapeHtml(formatAmount(charge.amount, charge.currency))}</strong>
with card <strong>${escapeHtml(card)}</strong>.</p>
<p>Approve to authenticate the payment, or reject to fail the authentication.</p>
<div class="row">
<form method="post" action="${action}"><input type="hidden" name="outcome" value="approve"><button id="approve" type="submit">Approve</button></form>
<form method="post" action="${action}"><input type="hidden" name="outcome" value="reject"><button id="reject" type="submit">Reject</button></form>
</div>`,
  );
}

/** Shown after completion when the charge has no return_url (or when the page is opened again). */
export function renderDonePage(charge: ChargeRecord): string {
  const approved = charge.three_ds?.status === 'approved';
  const link = charge.return_url
    ? `<p><a href="${escapeHtml(charge.return_url)}">Return to the merchant</a></p>`
    : '<p>You can close this window.</p>';
  return page(
    'Authentication complete',
    `<h1>Authentication ${approved ? 'approved' : 'rejected'}</h1>
<p>The 3-D Secure authentication is complete.</p>
${link}`,
  );
}

export function renderMessagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}

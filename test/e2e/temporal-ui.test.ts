/**
 * The operator's view (CONTRACT §8): after a payment is paid, the Temporal Web UI finds its
 * workflow `checkout-{session_id}` with the search attributes kept current by the workflow,
 * `PaymentState="paid" AND CustomerId="<id>"`. Needs the Web UI that test/setup/global-setup.ts
 * starts with the dev server; skipped (with the reason) when the run has none.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { card, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';
import { launchBrowser, screenshot } from './support';

jest.setTimeout(120_000);

const UI_URL = process.env.TOKENPAY_TEST_TEMPORAL_UI_URL;
const UI_WAIT_MS = 60_000;

if (!UI_URL) {
  console.warn(
    'Skipping the Temporal Web UI tests: TOKENPAY_TEST_TEMPORAL_UI_URL is not set (the run uses an ' +
      'external TEMPORAL_ADDRESS, so test/setup/global-setup.ts started no dev server and no UI).',
  );
}
const describeWithUi = UI_URL ? describe : describe.skip;

describeWithUi('the operator finds a payment in the Temporal Web UI', () => {
  let h: Harness;
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    [h, browser] = await Promise.all([startHarness(), launchBrowser()]);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await h?.close();
  });

  /** Opens `url` and waits for a link named `text`, reloading while the UI's visibility catches up. */
  async function waitForLinkWithReloads(page: Page, url: string, text: string): Promise<void> {
    const deadline = Date.now() + UI_WAIT_MS;
    await page.goto(url);
    for (;;) {
      const left = deadline - Date.now();
      try {
        await page
          .getByRole('link', { name: text, exact: true })
          .waitFor({ timeout: Math.min(10_000, left) });
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          await screenshot(page, 'temporal-ui-not-found').catch(() => undefined);
          throw new Error(`"${text}" did not appear in the Temporal UI at ${url} within ${UI_WAIT_MS} ms`, {
            cause: error,
          });
        }
        await page.reload();
      }
    }
  }

  it('lists checkout-<session_id> for PaymentState="paid" AND CustomerId="<id>"', async () => {
    const customer = `ui-${randomBytes(6).toString('hex')}`;
    const created = await h.merchant(
      'POST',
      '/b/checkout/v1/pymt-txn/',
      newPayment({ customer_id: customer }),
    );
    expect(created.status).toBe(201);
    const sessionId = created.body.session_id as string;
    const paid = await h.request('POST', `/checkout/${sessionId}/submit`, {
      body: {
        pg_code: 'ottu_pg_kwd_tkn',
        payment_method: 'card',
        card: card(TEST_CARDS.visa),
        save_card: false,
      },
    });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ result: 'success', state: 'paid' });

    const workflowId = `checkout-${sessionId}`;
    const query = `PaymentState="paid" AND CustomerId="${customer}"`;
    const url = `${UI_URL}/namespaces/${encodeURIComponent(h.config.temporal.namespace)}/workflows?query=${encodeURIComponent(query)}`;

    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await waitForLinkWithReloads(page, url, workflowId);

    // exactly this payment (the customer is unique to this test), linked to its workflow page
    const links = page.getByRole('link', { name: /^checkout-/ });
    expect(await links.count()).toBe(1);
    expect(await links.first().getAttribute('href')).toContain(`/workflows/${workflowId}/`);
    await screenshot(page, 'temporal-ui-paid-by-customer');
  });
});

import type { Charge } from '../../../src/gateway/port';
import { CARDS, startHarness, type Harness } from './helpers';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.close();
});

const RETURN_URL = 'http://127.0.0.1:3000/checkout/session-123';

async function challenge(extra: Record<string, unknown> = {}): Promise<Charge> {
  const charge = await h.chargeCard(CARDS.threeDs, { return_url: RETURN_URL, ...extra });
  expect(charge.status).toBe('requires_action');
  expect(charge.next_action?.type).toBe('redirect_to_url');
  return charge;
}

function complete(url: string, outcome: string): Promise<Response> {
  return fetch(url, { method: 'POST', body: new URLSearchParams({ outcome }), redirect: 'manual' });
}

describe('3-D Secure', () => {
  it('renders a page with Approve and Reject forms and no script', async () => {
    const charge = await challenge();
    const url = charge.next_action!.url;
    expect(url).toBe(`${h.sim.url}/3ds/${charge.id}`);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(`<form method="post" action="${url}">`);
    expect(html).toContain('name="outcome" value="approve"');
    expect(html).toContain('name="outcome" value="reject"');
    expect(html).toMatch(/Approve<\/button>/);
    expect(html).toMatch(/Reject<\/button>/);
    expect(html).toContain('1.000 KWD'); // 1000 minor units, KWD has 3 decimals
    expect(html).toContain('•••• 3184');
  });

  it('a void cancels a pending challenge: a late approval moves no money', async () => {
    const charge = await challenge();
    const voided = await h.gateway.void(charge.id, `void-${charge.id}`);
    expect(voided).toMatchObject({ status: 'declined', decline_code: 'authentication_failed' });
    await complete(charge.next_action!.url, 'approve');
    expect((await h.gateway.getCharge(charge.id))?.status).toBe('declined');
    expect(await h.chargeEntries(charge.idempotency_key)).toEqual([
      expect.objectContaining({ status: 'declined' }),
    ]);
  });

  it('approve → 303 to return_url, the charge succeeds', async () => {
    const charge = await challenge();
    const response = await complete(charge.next_action!.url, 'approve');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(RETURN_URL);
    const after = await h.gateway.getCharge(charge.id);
    expect(after).toMatchObject({ status: 'succeeded', captured_amount: 1000 });
    expect(after?.next_action).toBeUndefined();
    expect((await h.gateway.findChargeByIdempotencyKey(charge.idempotency_key))?.status).toBe('succeeded');
    expect(await h.chargeEntries(charge.idempotency_key)).toEqual([
      expect.objectContaining({ charge_id: charge.id, status: 'succeeded' }),
    ]);
  });

  it('reject → declined authentication_failed', async () => {
    const charge = await challenge();
    const response = await complete(charge.next_action!.url, 'reject');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(RETURN_URL);
    expect(await h.gateway.getCharge(charge.id)).toMatchObject({
      status: 'declined',
      decline_code: 'authentication_failed',
      captured_amount: 0,
    });
  });

  it('a second POST changes nothing and just redirects', async () => {
    const charge = await challenge();
    await complete(charge.next_action!.url, 'approve');
    const again = await complete(charge.next_action!.url, 'reject');
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(RETURN_URL);
    expect((await h.gateway.getCharge(charge.id))?.status).toBe('succeeded');
    const page = await fetch(charge.next_action!.url);
    expect(await page.text()).toContain('Authentication approved');
  });

  it('a replay of the charge request shows the completed status', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.threeDs));
    const key = h.key();
    const request = { amount: 300, currency: 'KWD', capture: true, token: token.id };
    const pending = await h.gateway.charge(request, key);
    await complete(pending.next_action!.url, 'approve');
    const replay = await h.gateway.charge(request, key);
    expect(replay).toMatchObject({ id: pending.id, status: 'succeeded' });
    expect(await h.chargeEntries(key)).toHaveLength(1);
  });

  it('without return_url it redirects to a plain done page', async () => {
    const token = await h.gateway.createCardToken(h.card(CARDS.threeDs));
    const charge = await h.gateway.charge(
      { amount: 300, currency: 'KWD', capture: true, token: token.id },
      h.key(),
    );
    const response = await complete(charge.next_action!.url, 'approve');
    expect(response.status).toBe(303);
    const location = response.headers.get('location')!;
    const done = await fetch(location);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Authentication approved');
  });

  it('capture:false + approve → authorized; store_card is honoured on approval', async () => {
    const charge = await challenge({ capture: false, store_card: true });
    expect(charge.source_token).toBeUndefined();
    await complete(charge.next_action!.url, 'approve');
    const after = await h.gateway.getCharge(charge.id);
    expect(after).toMatchObject({ status: 'authorized', captured_amount: 0 });
    expect(after?.source_token).toMatch(/^src_/);

    // customer present with the card on file: challenged again; merchant-initiated: not challenged
    const cvcToken = await h.gateway.createCvcToken(after!.source_token!, '123');
    const present = await h.gateway.charge(
      {
        amount: 100,
        currency: 'KWD',
        capture: true,
        source_token: after!.source_token!,
        cvc_token: cvcToken.id,
      },
      h.key(),
    );
    expect(present.status).toBe('requires_action');
    const mit = await h.gateway.charge(
      {
        amount: 100,
        currency: 'KWD',
        capture: true,
        source_token: after!.source_token!,
        merchant_initiated: true,
      },
      h.key(),
    );
    expect(mit.status).toBe('succeeded');
  });

  it('three_d_secure:"never" skips the challenge', async () => {
    const charge = await h.chargeCard(CARDS.threeDs, { three_d_secure: 'never' });
    expect(charge.status).toBe('succeeded');
    expect(charge.next_action).toBeUndefined();
  });

  it('rejects a bad outcome and unknown charges', async () => {
    const charge = await challenge();
    expect((await complete(charge.next_action!.url, 'maybe')).status).toBe(400);
    expect((await h.gateway.getCharge(charge.id))?.status).toBe('requires_action');
    expect((await fetch(`${h.sim.url}/3ds/ch_unknown`)).status).toBe(404);
    const plain = await h.chargeCard(CARDS.visa);
    expect((await complete(`${h.sim.url}/3ds/${plain.id}`, 'approve')).status).toBe(404);
  });
});

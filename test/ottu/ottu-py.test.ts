/**
 * Ottu's own Python SDK (ottu-py 1.10.1 from PyPI) drives tokenpay through every method of its
 * checkout, cards, payment-methods, auto-debit and operations surface, and `checkout_autoflow` /
 * `auto_debit_autoflow`, with only `host_url` changed (drive_ottu_py.py). Every answer it gets is
 * then validated against Ottu's pinned OpenAPI document (test/contract/ottu-spec.ts): the
 * expectations come from Ottu's schemas and from the flows' meaning, never from tokenpay's answers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DEV_DEFAULTS } from '../../src/config';
import { loadOttuContract } from '../contract/ottu-spec';
import { ensureOttuPy, type OttuPy } from '../support/ottu-py';
import { runProcess } from '../support/schemathesis';
import { ALL_TEST_PANS, DEMO_API_KEY, startHarness, type Harness } from '../support/harness';

jest.setTimeout(10 * 60_000);

interface Step {
  name: string;
  operation?: string;
  success?: boolean;
  status_code?: number;
  endpoint?: string;
  response?: any;
  error?: any;
  [key: string]: unknown;
}

let ottuPy: OttuPy;
let h: Harness;
let steps: Step[];
let out: string;

beforeAll(async () => {
  ottuPy = await ensureOttuPy();
  h = await startHarness();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenpay-ottu-py-'));
  const report = path.join(work, 'steps.json');
  const run = await runProcess(ottuPy.python, [path.join(__dirname, 'drive_ottu_py.py'), report], {
    cwd: work,
    env: {
      ...process.env,
      TOKENPAY_URL: h.baseUrl,
      TOKENPAY_API_KEY: DEMO_API_KEY,
      TOKENPAY_HMAC_KEY: DEV_DEFAULTS.demoWebhookKey,
      TOKENPAY_RUN_ID: String(Date.now()),
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONNOUSERSITE: '1',
    },
    timeoutMs: 8 * 60_000,
  });
  if (run.code !== 0 || !fs.existsSync(report)) {
    throw new Error(
      `drive_ottu_py.py exited ${run.code}:\n${run.stdout.slice(-5000)}\n${run.stderr.slice(-10000)}`,
    );
  }
  out = fs.readFileSync(report, 'utf8');
  steps = (JSON.parse(out) as { steps: Step[] }).steps;
  fs.rmSync(work, { recursive: true, force: true });
});

afterAll(async () => {
  await h?.close();
});

const step = (name: string): Step => {
  const found = steps.find((s) => s.name === name);
  if (!found) throw new Error(`no step ${name}`);
  return found;
};

describe('ottu-py drives tokenpay with only the base URL changed', () => {
  it('payment methods and checkout_autoflow: the methods filtered, the session created with them', () => {
    const all = step('get_payment_methods').response;
    expect(all.payment_methods.map((m: any) => m.code).sort()).toEqual(
      ['credit-card', 'ottu_pg_kwd_auth', 'ottu_pg_kwd_tkn', 'ottu_pg_kwd_tkn_nocvv'].sort(),
    );
    const tokenizable = step('get_payment_methods(tokenizable)').response;
    expect(tokenizable.payment_methods.map((m: any) => m.code)).not.toContain('credit-card');
    const created = step('checkout_autoflow');
    expect(created).toMatchObject({ success: true, status_code: 201 });
    expect(created.response.pg_codes.sort()).toEqual(all.payment_methods.map((m: any) => m.code).sort());
    expect(created.response).toMatchObject({ amount: '19.500', state: 'created', type: 'e_commerce' });
  });

  it('retrieve (no trailing slash), update (JSON and multipart) and the rules of a paid payment', () => {
    expect(step('Session.retrieve')).toMatchObject({ success: true, status_code: 200 });
    expect(step('Session.retrieve').endpoint).not.toMatch(/\/$/);
    expect(step('Session.refresh')).toMatchObject({ success: true, status_code: 200 });
    const updated = step('Session.update');
    expect(updated).toMatchObject({ success: true, status_code: 200 });
    expect(updated.response).toMatchObject({ amount: '21.000', customer_phone: '+96550000000' });
    const withFile = step('Session.update(attachment)');
    expect(withFile.response).toMatchObject({ customer_last_name: 'Doe', amount: '21.000' });
    expect(withFile.response.attachment).toMatch(/^http/);
    expect(step('attachment download')).toMatchObject({
      download_status: 200,
      download_starts_with_pdf: true,
      anonymous_status: 401,
    });
    expect(step('customer paid').state).toBe('paid');
    // paid at the updated amount, then no more changes to what was paid
    expect(step('Session.psq').response).toMatchObject({
      state: 'paid',
      amount: '21.000',
      result: 'success',
    });
    expect(step('Session.update(paid)')).toMatchObject({ success: false, status_code: 400 });
    expect(step('Session.update(paid)').error.detail).toMatch(/paid/);
  });

  it('operations answer Ottu’s shapes, signed where Ottu signs them, once per Tracking-Key', () => {
    const refund = step('Session.refund');
    expect(refund).toMatchObject({ success: true, status_code: 200 });
    expect(refund.response).toMatchObject({
      operation: 'refund',
      result: 'success',
      success: true,
      amount: '5.000',
    });
    expect(refund.signature_verified).toBe(true);
    expect(step('Session.refund(same Tracking-Key)').same_reference).toBe(true);
    expect(step('Session.capture').response).toMatchObject({
      operation: 'capture',
      amount: '6.000',
      success: true,
    });
    expect(step('Session.capture').signature_verified).toBe(true);
    expect(step('Session.void').response).toMatchObject({
      operation: 'void',
      amount: '4.000',
      success: true,
    });
    expect(step('Session.void').signature_verified).toBe(true);
    expect(step('Session.cancel').response).toMatchObject({
      operation: 'cancel',
      result: 'success',
      state: 'canceled',
    });
    expect(step('Session.expire(order_no)').response).toMatchObject({
      operation: 'expire',
      state: 'expired',
    });
    expect(step('Session.delete').response).toMatchObject({ operation: 'delete', result: 'success' });
    expect(step('Session.retrieve(deleted)')).toMatchObject({ success: false, status_code: 404 });
    expect(step('Session.ops(unknown state)')).toMatchObject({ success: false, status_code: 400 });
    expect(step('Session.ops(unknown state)').error).toMatchObject({
      operation: 'capture',
      result: 'failed',
    });
  });

  it('multipart create with an attachment; ignored Ottu-only options are accepted', () => {
    const created = step('Session.create(attachment)');
    expect(created).toMatchObject({ success: true, status_code: 201 });
    expect(created.response).toMatchObject({ type: 'payment_request', amount: '3.250' });
    expect(created.response.attachment).toMatch(/\/b\/checkout\/v1\/attachments\//);
    expect(created.response).not.toHaveProperty('generate_qr_code');
  });

  it('auto-debit is bound to the agreement: its card, both paths, both autoflows', () => {
    const cards = step('Card.list');
    expect(cards).toMatchObject({ success: true, status_code: 200 });
    const byAgreement = step('Card.get_cards(agreement_id)').response;
    expect(byAgreement).toHaveLength(1);
    expect(step('Card.get(agreement_id)').token).toBe(step('Card.get(agreement_id)').expected);

    const flow = step('auto_debit_autoflow(token from get_token_from_db)');
    expect(flow).toMatchObject({ success: true, status_code: 200 });
    expect(flow.response).toMatchObject({
      result: 'success',
      state: 'paid',
      amount: '7.500',
      payment_type: 'auto_debit',
    });
    expect(flow.signature_verified).toBe(true);
    expect(step('auto_debit_autoflow(token, pg_codes)').response).toMatchObject({
      result: 'success',
      state: 'paid',
    });
    expect(step('Ottu.auto_debit').response).toMatchObject({ result: 'success', amount: '1.500' });
    expect(step('Ottu.auto_debit').signature_verified).toBe(true);
    expect(step('raw POST /b/pbl/v2/payment/auto-debit/').response).toMatchObject({ result: 'success' });

    const foreign = step('Ottu.auto_debit(card of another agreement)');
    expect(foreign).toMatchObject({ success: false, status_code: 400 });
    expect(foreign.error.detail).toMatch(/agreement/);
    expect(step('Ottu.auto_debit(one_off payment)')).toMatchObject({ success: false, status_code: 400 });

    expect(step('Card.delete(linked)')).toMatchObject({ success: false, status_code: 409 });
    expect(step('Card.delete(linked)').error.detail).toMatch(/agreement/);
    const replaced = step('Card.get(agreement_id) after replacement');
    expect(replaced.token).toBe(replaced.expected);
    expect(step('Card.delete(released)')).toMatchObject({ success: true, status_code: 204 });
  });

  it('form-urlencoded bodies work; Ottu-only services answer a clear 501', () => {
    const listed = step('raw form-urlencoded card list');
    expect(listed).toMatchObject({ success: true, status_code: 200 });
    expect(listed.response).toHaveLength(1);
    const created = step('raw form-urlencoded create');
    expect(created).toMatchObject({ success: true, status_code: 201 });
    expect(created.response).toMatchObject({
      amount: '1.250',
      pg_codes: ['ottu_pg_kwd_tkn', 'ottu_pg_kwd_tkn_nocvv'],
      billing_address: { line1: '1 Gulf Road', city: 'Kuwait City', country: 'KW' },
      extra: { from: 'form' },
    });
    const put = step('raw PUT full update');
    expect(put).toMatchObject({ success: true, status_code: 200 });
    expect(put.response).toMatchObject({ type: 'payment_request', amount: '2.500' });
    const upload = step('raw upload-attachment');
    expect(upload).toMatchObject({ success: true, status_code: 200 });
    expect(upload.response.original_filename).toBe('receipt.pdf');
    expect(step('raw upload-attachment(exe)')).toMatchObject({ success: false, status_code: 400 });
    const cash = step('raw cash payment');
    expect(cash).toMatchObject({ success: false, status_code: 501 });
    expect(cash.error.detail).toMatch(/not offered by tokenpay/);
  });

  it("every answer fits Ottu's published schema for its operation and status", () => {
    const contract = loadOttuContract();
    const checked = steps.filter((s) => s.operation && s.status_code !== undefined && s.status_code !== 501);
    expect(checked.length).toBeGreaterThan(40);
    const problems = checked.flatMap((s) =>
      contract
        .validate(s.operation!, s.status_code!, s.success ? s.response : s.error)
        .map((p) => `${s.name}: ${p}`),
    );
    expect(problems).toEqual([]);
    // each SDK operation was answered at least once with a success
    const succeeded = new Set(checked.filter((s) => s.success).map((s) => s.operation));
    expect([...succeeded].sort()).toEqual(
      [
        'POST /b/pbl/v2/payment-methods/',
        'POST /b/checkout/v1/pymt-txn/',
        'GET /b/checkout/v1/pymt-txn/{session_id}/',
        'PATCH /b/checkout/v1/pymt-txn/{session_id}/',
        'PUT /b/checkout/v1/pymt-txn/{session_id}/',
        'POST /b/checkout/v1/upload-attachment/',
        'POST /b/pbl/v2/inquiry/',
        'POST /b/pbl/v2/operation/',
        'POST /b/pbl/v2/card/',
        'DELETE /b/pbl/v2/card/{token}/',
        'POST /b/pbl/v2/auto-debit/',
        'POST /b/pbl/v2/payment/auto-debit/',
      ].sort(),
    );
  });

  it('no card number reaches any answer', () => {
    for (const pan of ALL_TEST_PANS) expect(out).not.toContain(pan);
  });
});

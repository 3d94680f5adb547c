/**
 * PAN and CVV never reach Temporal history (in any form), MongoDB or a log line. Every test card
 * goes through the real flow (success, declines, 3-D Secure, saved cards); then the raw bytes of
 * every workflow history, every document of every collection and every captured log line are
 * scanned for each card number, in every representation we can think of.
 */
import { temporal } from '@temporalio/proto';
import { BSON } from 'mongodb';

import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { decodeHistoryPayloads } from '../../src/codec/history';
import { loadCodecKeys } from '../../src/codec/keys';

import {
  ALL_TEST_PANS,
  capturedLogs,
  card,
  newPayment,
  startHarness,
  TEST_CARDS,
  type Harness,
} from '../support/harness';

let h: Harness;
const codec = new EncryptionCodec(loadCodecKeys());
const CVVS = new Set<string>();

beforeAll(async () => {
  h = await startHarness();
  const customer = { customer_id: 'leak-test-customer' };
  for (const [i, pan] of ALL_TEST_PANS.entries()) {
    const created = await h.merchant('POST', '/b/checkout/v1/pymt-txn/', newPayment(customer));
    const cvv = pan.startsWith('37') ? '8642' : String(800 + i);
    CVVS.add(cvv);
    const res = await h.request('POST', `/checkout/${created.body.session_id}/submit`, {
      body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card(pan, cvv), save_card: true },
    });
    expect(res.status).toBe(200);
    if (pan === TEST_CARDS.threeDs) {
      await fetch(res.body.next_action.url, {
        method: 'POST',
        body: new URLSearchParams({ outcome: 'approve' }),
        redirect: 'manual',
      });
      await h.request('GET', `/checkout/${created.body.session_id}`);
    }
  }
  // an invalid submission is rejected at the door: its number must not be logged either
  const created = await h.merchant('POST', '/b/checkout/v1/pymt-txn/', newPayment());
  await h.request('POST', `/checkout/${created.body.session_id}/submit`, {
    body: { pg_code: 'ottu_pg_kwd_tkn', payment_method: 'card', card: card('4242424242424241', '999') },
  });
});

afterAll(async () => {
  await h.close();
});

/** The forms a card number could take after passing through encoders. */
function representations(pan: string): string[] {
  const spaced = pan.replace(/(\d{4})(?=\d)/g, '$1 ');
  return [
    pan,
    spaced,
    Buffer.from(pan).toString('base64').replace(/=+$/, ''),
    Buffer.from(pan).toString('hex'),
    Buffer.from(pan, 'utf16le').toString('latin1'),
  ];
}

function expectNoCardData(haystack: string, where: string): void {
  for (const pan of ALL_TEST_PANS) {
    for (const form of representations(pan)) {
      if (haystack.includes(form)) throw new Error(`card number ${pan} (as "${form}") found in ${where}`);
    }
  }
  expect(haystack).not.toMatch(/"(cvv|cvc|card_number|pan)"\s*:\s*"?\d{3,19}/i);
}

it('the scanner itself finds card data in any of its forms', () => {
  expect(() => expectNoCardData(`x${TEST_CARDS.visa}x`, 'sample')).toThrow('found in sample');
  expect(() => expectNoCardData('4242 4242 4242 4242', 'sample')).toThrow();
  expect(() => expectNoCardData(Buffer.from(TEST_CARDS.amex).toString('base64'), 'sample')).toThrow();
  expect(() => expectNoCardData('{"cvv":"123"}', 'sample')).toThrow();
});

it('scans every workflow history', async () => {
  const ids: string[] = [];
  for await (const wf of h.temporal.workflow.list({
    query: `TaskQueue = "${h.config.temporal.taskQueue}"`,
  })) {
    ids.push(wf.workflowId);
  }
  expect(ids.length).toBeGreaterThanOrEqual(ALL_TEST_PANS.length);
  let decodedWithName = 0;
  for (const id of ids) {
    const history = await h.temporal.workflow.getHandle(id).fetchHistory();
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    expectNoCardData(bytes.toString('latin1'), `history of ${id}`);
    // "in any form, encrypted or not": the decrypted payloads must be clean too
    const decoded = await decodeHistoryPayloads(history, codec);
    const decodedBytes = Buffer.from(temporal.api.history.v1.History.encode(decoded).finish());
    expectNoCardData(decodedBytes.toString('latin1'), `decoded history of ${id}`);
    // personal data (the name on the card) is in history only as ciphertext
    expect(bytes.toString('latin1')).not.toContain('Test Customer');
    if (id.startsWith('checkout-'))
      decodedWithName += decodedBytes.toString('latin1').includes('Test Customer') ? 1 : 0;
  }
  expect(decodedWithName).toBeGreaterThan(0); // the scan really looked inside the ciphertext
});

it('scans every MongoDB collection', async () => {
  const collections = await h.mongo.db.listCollections().toArray();
  expect(collections.map((c) => c.name)).toEqual(expect.arrayContaining(['payments', 'cards']));
  expect(await h.collections.cards.countDocuments({ customer_id: 'leak-test-customer' })).toBeGreaterThan(0);
  for (const { name } of collections) {
    const docs = await h.mongo.db.collection(name).find({}).toArray();
    expectNoCardData(BSON.EJSON.stringify(docs), `collection ${name}`);
    for (const cvv of CVVS) expect(BSON.EJSON.stringify(docs)).not.toContain(`"${cvv}"`);
  }
});

it('scans every captured log line', async () => {
  const logs = capturedLogs(h);
  expect(logs.length).toBeGreaterThan(0);
  expectNoCardData(logs, 'logs');
});

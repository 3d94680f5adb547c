/**
 * No card data in the checked-in histories (CONTRACT §8: no PAN or CVV in any form, encrypted or
 * not): neither in the files as they are, nor in their payloads decrypted with the test-only key.
 * And every payload the data converter wrote is encrypted by the production codec.
 */
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

import { ENCRYPTED_ENCODING, METADATA_ENCRYPTION_KEY_ID } from '../../src/codec/encryption-codec';
import { decodeHistoryPayloads } from '../../src/codec/history';
import { DEV_CODEC_KEY_BASE64, DEV_CODEC_KEY_ID } from '../../src/codec/keys';
import { TEST_CARD_NUMBERS } from '../../src/dev/gateway-simulator/cards';
import { cvvFinds, panFinds } from './card-scan';
import { readHistory, readHistoryText, readIndex } from './histories';
import { RECORDED_CVVS, RECORDING_CARDS } from './recording-cards';
import { REPLAY_TEST_CODEC_KEY_ID, replayCodec, replayCodecKeys } from './test-codec-key';

const PANS = Object.values(TEST_CARD_NUMBERS);
const entries = readIndex().map((e) => [e.name] as const);
const PAYLOAD_TYPE = '.temporal.api.common.v1.Payload';

/** Every payload of a decoded history message, with where it sits. */
function payloadsOf(
  history: temporal.api.history.v1.IHistory,
): { where: string; payload: temporal.api.common.v1.Payload }[] {
  const found: { where: string; payload: temporal.api.common.v1.Payload }[] = [];
  const walk = (node: unknown, where: string): void => {
    if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return;
    if ((node as { $type?: { fullName?: string } }).$type?.fullName === PAYLOAD_TYPE) {
      found.push({ where, payload: node as temporal.api.common.v1.Payload });
      return;
    }
    for (const [key, value] of Object.entries(node)) walk(value, `${where}.${key}`);
  };
  walk(temporal.api.history.v1.History.decode(temporal.api.history.v1.History.encode(history).finish()), '');
  return found;
}

const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('utf8');

/**
 * Payloads the codec does not (and must not) encrypt: search attributes, which the server reads
 * to index them (ids and states, never card data), and the SDK core's own bookkeeping of a local
 * activity (sequence number, activity type, times) in its marker.
 */
const UNENCRYPTED = [
  /\.searchAttributes\.indexedFields\.\w+$/,
  /\.markerRecordedEventAttributes\.details\.data\.payloads\.\d+$/,
];

it('the histories are encrypted with the test-only key, not the dev default key of production config', () => {
  expect(REPLAY_TEST_CODEC_KEY_ID).not.toBe(DEV_CODEC_KEY_ID);
  expect(replayCodecKeys().keys.get(REPLAY_TEST_CODEC_KEY_ID)).not.toEqual(
    Buffer.from(DEV_CODEC_KEY_BASE64, 'base64'),
  );
});

describe('the scanner', () => {
  it('finds a PAN raw, base64 at any alignment, and hex', () => {
    const pan = RECORDING_CARDS.visa.number;
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      expect(panFinds(Buffer.from(`${prefix}{"n":"${pan}"}`).toString('base64'), PANS)).toEqual([
        'PAN 4242 base64',
      ]);
    }
    expect(panFinds(`x${pan}y`, PANS)).toEqual(['PAN 4242 raw']);
    expect(panFinds(Buffer.from(pan).toString('hex'), PANS)).toEqual(['PAN 4242 hex']);
    expect(panFinds('ch_4242 tok_424242', PANS)).toEqual([]);
  });

  it('finds a CVV as a value and a card-secret field, not a run of digits elsewhere', () => {
    const cvv = RECORDING_CARDS.visa.cvv;
    expect(cvvFinds({ a: [{ b: cvv }] }, RECORDED_CVVS)).toEqual([`CVV ${cvv} raw`]);
    expect(cvvFinds({ a: Number(cvv) }, RECORDED_CVVS)).toEqual([`CVV ${cvv} raw`]);
    expect(cvvFinds({ a: Buffer.from(cvv).toString('base64') }, RECORDED_CVVS)).toEqual([
      `CVV ${cvv} base64`,
    ]);
    expect(cvvFinds({ a: Buffer.from(cvv).toString('hex') }, RECORDED_CVVS)).toEqual([`CVV ${cvv} hex`]);
    expect(cvvFinds({ cvc: 'x' }, RECORDED_CVVS)).toEqual(['a field "cvc"']);
    expect(cvvFinds({ at: `2026-01-01T00:00:00.${cvv}Z`, cvcToken: 'tok_1' }, RECORDED_CVVS)).toEqual([]);
  });
});

test.each(entries)('%s: no PAN in the file as checked in', (name) => {
  expect(panFinds(readHistoryText(name), PANS)).toEqual([]);
});

test.each(entries)(
  '%s: every payload encrypted with the test-only key, except what the server must read',
  (name) => {
    const payloads = payloadsOf(readHistory(name));
    expect(payloads.length).toBeGreaterThan(0);
    const plain = payloads.filter(
      ({ payload }) => text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING,
    );
    expect(
      plain.map((p) => p.where).filter((where) => !UNENCRYPTED.some((allowed) => allowed.test(where))),
    ).toEqual([]);
    const encrypted = payloads.filter((p) => !plain.includes(p));
    expect(encrypted.length).toBeGreaterThan(0);
    for (const { payload } of encrypted) {
      expect(text(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe(REPLAY_TEST_CODEC_KEY_ID);
    }
  },
);

test.each(entries)('%s: no PAN or CVV in any payload, decrypted', async (name) => {
  const decoded = await decodeHistoryPayloads(readHistory(name), replayCodec());
  const finds: string[] = [];
  for (const { where, payload } of payloadsOf(decoded)) {
    // every payload decrypted to what the SDK writes: JSON (or nothing, for `undefined`)
    const encoding = text(payload.metadata?.[METADATA_ENCODING_KEY]);
    expect([`json/plain ${where}`, `binary/null ${where}`]).toContain(`${encoding} ${where}`);
    const data = text(payload.data);
    finds.push(...panFinds(data, PANS).map((f) => `${f} at ${where}`));
    if (encoding === 'json/plain') {
      finds.push(...cvvFinds(JSON.parse(data), RECORDED_CVVS).map((f) => `${f} at ${where}`));
    }
  }
  expect(finds).toEqual([]);
});

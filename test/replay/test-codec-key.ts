/**
 * TEST ONLY — never used outside recording/replaying these histories.
 *
 * The checked-in histories under test/replay/histories are encrypted by the production codec
 * (src/codec) with this fixed key, so the replay gate exercises the same data converter as the
 * worker and a recording is reproducible. It is published in the repository, so nothing it
 * encrypts is secret: it is deliberately NOT the dev default key of src/codec/keys.ts, and no
 * configuration (TOKENPAY_CODEC_KEYS) may ever contain it.
 */
import type { DataConverter } from '@temporalio/common';

import { createDataConverter } from '../../src/codec/data-converter';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { parseCodecKeys, type CodecKeys } from '../../src/codec/keys';

/** The key id every recorded payload names (`encryption-key-id` metadata). */
export const REPLAY_TEST_CODEC_KEY_ID = 'replay-test-only';

/** TEST ONLY: 32 bytes that say what they are, base64. */
const REPLAY_TEST_CODEC_KEY_BASE64 = Buffer.from('tokenpay-replay-TEST-ONLY-key-01', 'utf8').toString(
  'base64',
);

export function replayCodecKeys(): CodecKeys {
  return parseCodecKeys(`${REPLAY_TEST_CODEC_KEY_ID}:${REPLAY_TEST_CODEC_KEY_BASE64}`);
}

/** The production data converter (src/codec/data-converter.ts) with the test-only key. */
export function replayDataConverter(): DataConverter {
  return createDataConverter(replayCodecKeys());
}

/** The production codec with the test-only key: to decode histories for the card-data scan. */
export function replayCodec(): EncryptionCodec {
  return new EncryptionCodec(replayCodecKeys());
}

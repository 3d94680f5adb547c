/** EncryptionCodec and TOKENPAY_CODEC_KEYS parsing. */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

import { createDataConverter } from '../../src/codec/data-converter';
import { loadConfig } from '../../src/config';
import {
  CodecError,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  METADATA_ENCRYPTION_KEY_ID,
} from '../../src/codec/encryption-codec';
import {
  CodecKeyConfigError,
  DEV_CODEC_KEY_ID,
  generateCodecKey,
  loadCodecKeys,
  parseCodecKeys,
  type CodecKeys,
} from '../../src/codec/keys';

const SECRET = 'alice.secret@example.com';
const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('utf8');
const keysFrom = (value: string): CodecKeys => loadCodecKeys({ TOKENPAY_CODEC_KEYS: value });
const k1 = generateCodecKey('k1').entry;
const k2 = generateCodecKey('k2').entry;
const toPayload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);

describe('EncryptionCodec', () => {
  const codec = new EncryptionCodec(keysFrom(k1));

  it('round-trips payloads, keeping their original metadata', async () => {
    const originals = [toPayload({ email: SECRET, amount: '20.230' }), toPayload(undefined), toPayload('x')];
    const encoded = await codec.encode(originals);
    expect(encoded).toHaveLength(3);
    for (const p of encoded) {
      expect(text(p.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(p.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe('k1');
      expect(Object.keys(p.metadata ?? {}).sort()).toEqual(['encoding', METADATA_ENCRYPTION_KEY_ID]);
    }
    const decoded = await codec.decode(encoded);
    expect(decoded.map(fromPayload)).toEqual([{ email: SECRET, amount: '20.230' }, undefined, 'x']);
    expect(text(decoded[0]?.metadata?.encoding)).toBe('json/plain');
    expect(await codec.encode([])).toEqual([]);
  });

  it('stores no plaintext, uses a fresh IV each time, and frames data as iv ‖ ciphertext ‖ tag', async () => {
    const original = toPayload({ email: SECRET });
    const [a, b] = await codec.encode([original, original]);
    for (const p of [a, b]) {
      const serialised = Buffer.from(temporal.api.common.v1.Payload.encode(p as Payload).finish());
      expect(serialised.includes(SECRET)).toBe(false);
      expect(serialised.includes('json/plain')).toBe(false);
    }
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
    expect(Buffer.from(a?.data ?? []).subarray(0, 12)).not.toEqual(
      Buffer.from(b?.data ?? []).subarray(0, 12),
    );
    const plaintextLength = temporal.api.common.v1.Payload.encode(original).finish().length;
    expect(a?.data?.length).toBe(12 + plaintextLength + 16);
  });

  it('rejects tampered ciphertext, IV, tag or key id', async () => {
    const [encoded] = await codec.encode([toPayload(SECRET)]);
    const data = Buffer.from(encoded?.data ?? []);
    for (const index of [0, 12, data.length - 1]) {
      const bad = Buffer.from(data);
      bad[index] = (bad[index] ?? 0) ^ 0x01;
      await expect(codec.decode([{ ...encoded, data: bad }])).rejects.toThrow(/failed authentication.*"k1"/);
    }
    await expect(codec.decode([{ ...encoded, data: data.subarray(0, 20) }])).rejects.toThrow(/too short/);
    // Same material under another id: the id is not a way around authentication.
    const other = new EncryptionCodec(keysFrom(`k1:${k2.split(':')[1]},k2:${k1.split(':')[1]}`));
    await expect(other.decode([encoded as Payload])).rejects.toThrow(CodecError);
  });

  it('decrypts with the key named in the payload after a rotation; encrypts with the current key', async () => {
    const before = new EncryptionCodec(keysFrom(k1));
    const [old] = await before.encode([toPayload({ email: SECRET })]);
    const rotated = new EncryptionCodec(keysFrom(`${k2},${k1}`));
    expect((await rotated.decode([old as Payload])).map(fromPayload)).toEqual([{ email: SECRET }]);
    const [fresh] = await rotated.encode([toPayload('new')]);
    expect(text(fresh?.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe('k2');
    expect((await rotated.decode([fresh as Payload])).map(fromPayload)).toEqual(['new']);
    // Retiring k1 entirely makes its history unreadable, with a message naming k1.
    await expect(new EncryptionCodec(keysFrom(k2)).decode([old as Payload])).rejects.toThrow(
      /Unknown encryption key id "k1".*TOKENPAY_CODEC_KEYS/,
    );
  });

  it('names an unknown key id without echoing odd bytes at length', async () => {
    const [encoded] = await codec.encode([toPayload(SECRET)]);
    const unknown = {
      ...encoded,
      metadata: { ...encoded?.metadata, [METADATA_ENCRYPTION_KEY_ID]: Buffer.from('k9') },
    };
    await expect(codec.decode([unknown])).rejects.toThrow('Unknown encryption key id "k9"');
    const weird = {
      ...encoded,
      metadata: { ...encoded?.metadata, [METADATA_ENCRYPTION_KEY_ID]: Buffer.from('x'.repeat(500)) },
    };
    const error = (await codec.decode([weird]).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(CodecError);
    expect(error.message.length).toBeLessThan(250);
    const noKeyId = { ...encoded, metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING) } };
    await expect(codec.decode([noKeyId])).rejects.toThrow(/no "encryption-key-id"/);
  });

  it('passes payloads that are not binary/encrypted through decode untouched', async () => {
    const plain = [toPayload({ a: 1 }), toPayload(null), { metadata: {}, data: Buffer.from('raw') }, {}];
    const decoded = await codec.decode(plain);
    expect(decoded).toHaveLength(4);
    decoded.forEach((p, i) => expect(p).toBe(plain[i]));
  });

  it('refuses inconsistent key sets at construction', () => {
    expect(() => new EncryptionCodec({ currentKeyId: 'k3', keys: keysFrom(k1).keys })).toThrow(/"k3"/);
    expect(
      () => new EncryptionCodec({ currentKeyId: 'a', keys: new Map([['a', Buffer.alloc(16)]]) }),
    ).toThrow(/16 bytes/);
  });
});

describe('loadCodecKeys', () => {
  const b64 = (bytes: number): string => Buffer.alloc(bytes, 7).toString('base64');

  it('uses the first key as current and keeps the rest for decryption', () => {
    const keys = keysFrom(` k2:${b64(32)} , k1:${b64(32)} `);
    expect(keys.currentKeyId).toBe('k2');
    expect([...keys.keys.keys()]).toEqual(['k2', 'k1']);
    expect(keys.devDefault).toBeUndefined();
  });

  it('falls back to the DEV-ONLY key when unset or empty', () => {
    for (const env of [{}, { TOKENPAY_CODEC_KEYS: '' }, { TOKENPAY_CODEC_KEYS: '  ' }]) {
      const keys = loadCodecKeys(env);
      expect(keys).toMatchObject({ currentKeyId: DEV_CODEC_KEY_ID, devDefault: true });
      expect(keys.keys.get(DEV_CODEC_KEY_ID)).toHaveLength(32);
    }
    // fixed, so dev history stays readable across restarts
    expect(loadCodecKeys({}).keys.get('dev-1')).toEqual(loadCodecKeys({}).keys.get('dev-1'));
  });

  it.each([
    [`k1${b64(32)}`, /entry 1 has no ":"/],
    [`k1:${b64(32)},`, /entry 2 is empty/],
    [`bad id:${b64(32)}`, /key id "bad id" is invalid; use 1-32 characters/],
    [`${'a'.repeat(33)}:${b64(32)}`, /is invalid/],
    [`:${b64(32)}`, /key id "" is invalid/],
    [`k1:${b64(16)}`, /key "k1" is 16 bytes; AES-256 needs exactly 32 bytes/],
    [`k1:${b64(33)}`, /33 bytes/],
    [`k1:not*base64!`, /key "k1" is not valid standard base64/],
    [`k1:${b64(32)},k1:${b64(32)}`, /"k1" is listed twice/],
  ])('rejects %j with an actionable message', (value, message) => {
    expect(() => parseCodecKeys(value)).toThrow(CodecKeyConfigError);
    expect(() => parseCodecKeys(value)).toThrow(message);
  });

  it('never puts key material in its errors', () => {
    const material = b64(16);
    expect(() => parseCodecKeys(`k1:${material}`)).not.toThrow(material);
  });

  it('generates valid, distinct keys', () => {
    const a = generateCodecKey('rot-2');
    const b = generateCodecKey();
    expect(a.entry).toMatch(/^rot-2:[A-Za-z0-9+/]{43}=$/);
    expect(b.id).toMatch(/^k-\d{8}$/);
    expect(a.base64).not.toBe(b.base64);
    expect(parseCodecKeys(`${a.entry},${b.entry}`).keys.get('rot-2')).toEqual(
      Buffer.from(a.base64, 'base64'),
    );
    expect(() => generateCodecKey('no spaces')).toThrow(CodecKeyConfigError);
  });
});

describe('data converter', () => {
  it('encrypts with the codec and encodes failure attributes', () => {
    const converter = createDataConverter(keysFrom(k1));
    expect(converter.payloadCodecs).toHaveLength(1);
    expect(converter.payloadCodecs?.[0]).toBeInstanceOf(EncryptionCodec);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { failureConverter } = require(converter.failureConverterPath as string);
    expect(failureConverter.options).toEqual({ encodeCommonAttributes: true });
    // the keys come from the one configuration parse
    expect(() => loadConfig({ TOKENPAY_CODEC_KEYS: 'nope' })).toThrow(CodecKeyConfigError);
    expect(createDataConverter(loadConfig({}).codec.keys).payloadCodecs?.[0]).toBeInstanceOf(EncryptionCodec);
  });
});

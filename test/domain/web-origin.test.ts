import { createPublicKeySchema } from '../../src/domain/schemas';
import { parseWebOrigin, publicKeyPrefix } from '../../src/domain/web-origin';

describe('allowed web origins', () => {
  it('takes scheme://host[:port] and normalises it as browsers compare it', () => {
    expect(parseWebOrigin('https://Shop.Example')).toEqual({ ok: true, origin: 'https://shop.example' });
    expect(parseWebOrigin('https://shop.example:443/')).toEqual({ ok: true, origin: 'https://shop.example' });
    expect(parseWebOrigin('https://shop.example:8443')).toEqual({
      ok: true,
      origin: 'https://shop.example:8443',
    });
    expect(parseWebOrigin('http://127.0.0.1:3080')).toEqual({ ok: true, origin: 'http://127.0.0.1:3080' });
    expect(parseWebOrigin('http://localhost:3080')).toEqual({ ok: true, origin: 'http://localhost:3080' });
    expect(parseWebOrigin('http://shop.localhost')).toEqual({ ok: true, origin: 'http://shop.localhost' });
  });

  it('refuses paths, queries, credentials, wildcards, other schemes and plain http off loopback', () => {
    for (const bad of [
      'https://shop.example/checkout',
      'https://shop.example?x=1',
      'https://shop.example#top',
      'https://user:pw@shop.example',
      'https://*.shop.example',
      'ftp://shop.example',
      'javascript:alert(1)',
      'shop.example',
      '*',
      'null',
      'http://shop.example',
      '',
    ]) {
      expect({ bad, ok: parseWebOrigin(bad).ok }).toEqual({ bad, ok: false });
    }
  });

  it('a public key request: 1 to 20 origins, duplicates folded, each message on its index', () => {
    expect(
      createPublicKeySchema.parse({ allowed_origins: ['https://a.example', 'https://A.example/'] }),
    ).toEqual({ allowed_origins: ['https://a.example'] });
    expect(createPublicKeySchema.safeParse({ allowed_origins: [] }).success).toBe(false);
    const many = Array.from({ length: 21 }, (_, i) => `https://s${i}.example`);
    expect(createPublicKeySchema.safeParse({ allowed_origins: many }).success).toBe(false);
    const bad = createPublicKeySchema.safeParse({
      allowed_origins: ['https://ok.example', 'http://evil.example'],
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path)).toEqual([['allowed_origins', 1]]);
  });
});

describe('public keys', () => {
  it('are pk_ + 12 hex digits (the prefix that names them) + _ + 32 characters', () => {
    expect(publicKeyPrefix('pk_0123456789ab_DEV-ONLY-demo-shop-public-key-01')).toBe('pk_0123456789ab');
    expect(publicKeyPrefix('pk_0123456789ab_short')).toBeUndefined();
    expect(publicKeyPrefix('tp_demo_dev_only_key')).toBeUndefined();
    expect(publicKeyPrefix('pk_0123456789AB_DEV-ONLY-demo-shop-public-key-01')).toBeUndefined();
  });
});

/**
 * Looking for card data in a checked-in history, in every form it could take: the PAN as it is,
 * base64'd (at any byte alignment inside a longer base64 string) and hex'd; the CVV as a value of
 * its own, base64'd or hex'd. The CVV is short, so it is looked for as a whole value in decoded
 * payloads — a 3-digit run inside ciphertext or a timestamp is chance, not a leak.
 */

/**
 * The base64 characters that encode `text` whatever bytes surround it: for each of the three
 * alignments, the characters determined by `text`'s bytes alone.
 */
export function base64Forms(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const forms: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    let form = '';
    for (let i = 0; i < encoded.length; i++) {
      const firstByte = Math.floor((6 * i) / 8);
      const lastByte = Math.floor((6 * i + 5) / 8);
      if (firstByte >= pad && lastByte < pad + bytes.length) form += encoded[i];
    }
    forms.push(form);
  }
  return forms;
}

const hexForms = (text: string): string[] => {
  const hex = Buffer.from(text, 'utf8').toString('hex');
  return [hex, hex.toUpperCase()];
};

/** Where in `text` a PAN shows, raw, base64'd or hex'd (a description per find). */
export function panFinds(text: string, pans: readonly string[]): string[] {
  const finds: string[] = [];
  for (const pan of pans) {
    if (text.includes(pan)) finds.push(`PAN ${pan.slice(-4)} raw`);
    if (base64Forms(pan).some((f) => text.includes(f))) finds.push(`PAN ${pan.slice(-4)} base64`);
    if (hexForms(pan).some((f) => text.includes(f))) finds.push(`PAN ${pan.slice(-4)} hex`);
  }
  return finds;
}

/**
 * The CVVs a decoded payload (JSON) holds as a value of its own: the CVV itself, as a string or a
 * number, or its base64 or hex encoding; and any field named like a card secret.
 */
export function cvvFinds(json: unknown, cvvs: readonly string[]): string[] {
  const finds: string[] = [];
  const forms = new Map<string, string>();
  for (const cvv of cvvs) {
    forms.set(cvv, `CVV ${cvv} raw`);
    forms.set(Buffer.from(cvv).toString('base64'), `CVV ${cvv} base64`);
    for (const hex of hexForms(cvv)) forms.set(hex, `CVV ${cvv} hex`);
  }
  const walk = (node: unknown, key: string): void => {
    if (/^(cvv|cvc|cvv2|security_?code|pan|card_?number)$/i.test(key) && node != null) {
      finds.push(`a field "${key}"`);
    }
    if (typeof node === 'string' || typeof node === 'number') {
      const found = forms.get(String(node));
      if (found) finds.push(found);
    } else if (Array.isArray(node)) {
      node.forEach((item) => walk(item, ''));
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, k);
    }
  };
  walk(json, '');
  return finds;
}

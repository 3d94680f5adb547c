/**
 * `id:secret,id:secret` — the rotation format of every key ring tokenpay reads from the
 * environment (payload codec keys, card fingerprint master keys): the first entry is current,
 * every entry still verifies or decrypts. One parser, so every ring refuses the same mistakes
 * with the same words; messages name the entry and what to fix, never key material.
 */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export interface KeyRing<K> {
  /** id of the key new material is written with */
  currentKeyId: string;
  /** every key by id, the current one included */
  keys: Map<string, K>;
}

export function parseKeyRing<K>(
  raw: string,
  ring: {
    /** the variable's name, for messages */
    env: string;
    /** the error to throw (each ring has its own class) */
    fail: (message: string) => Error;
    /** appended to format errors: how a valid value looks */
    hint?: string;
    /** an id that may not be used (kept for something else) */
    reservedId?: string;
    /** checks and converts one entry's material; throws through `fail` */
    key: (material: string, id: string, where: string) => K;
  },
): KeyRing<K> {
  const hint = ring.hint ? `; ${ring.hint}` : '';
  const keys = new Map<string, K>();
  let currentKeyId: string | undefined;
  raw.split(',').forEach((rawEntry, index) => {
    const entry = rawEntry.trim();
    const where = `${ring.env} entry ${index + 1}`;
    if (entry === '') throw ring.fail(`${where} is empty (stray comma?)${hint}`);
    const colon = entry.indexOf(':');
    if (colon < 0) throw ring.fail(`${where} has no ":" between key id and key${hint}`);
    const id = entry.slice(0, colon).trim();
    const material = entry.slice(colon + 1).trim();
    if (!KEY_ID_PATTERN.test(id) || id === ring.reservedId) {
      const reserved = ring.reservedId ? ` (not "${ring.reservedId}")` : '';
      throw ring.fail(
        `${where}: key id ${JSON.stringify(id.slice(0, 40))} is invalid; use 1-32 characters of A-Z a-z 0-9 _ -${reserved}`,
      );
    }
    if (keys.has(id)) throw ring.fail(`${where}: key id "${id}" is listed twice; key ids must be unique`);
    if (material === '') throw ring.fail(`${where}: key "${id}" is empty`);
    keys.set(id, ring.key(material, id, where));
    currentKeyId ??= id;
  });
  if (currentKeyId === undefined) throw ring.fail(`${ring.env} has no keys${hint}`);
  return { currentKeyId, keys };
}

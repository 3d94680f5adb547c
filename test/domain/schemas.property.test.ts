/**
 * The contract's 400 shape (`{"field": ["message"]}`, nested objects nest), property-based:
 * every zod issue of a random request lands, as a message list, at its own path; every leaf is a
 * non-empty list of strings; the result is plain JSON; and no path — not even one spelled
 * `__proto__`, `constructor` or `prototype` — writes outside the result object.
 */
import fc from 'fast-check';
import { z } from 'zod';

import {
  addFieldError,
  createPaymentSchema,
  listCardsSchema,
  operationSchema,
  submitPaymentSchema,
  toFieldErrors,
  type FieldErrors,
} from '../../src/domain/schemas';
import { caseCounter } from '../support/counted';

const counted = caseCounter('field-errors');

const PROTO_SNAPSHOT = Object.getOwnPropertyNames(Object.prototype).sort();
const OBJECT_SNAPSHOT = Object.getOwnPropertyNames(Object).sort();

/** Undoes any pollution so that one failing property cannot poison the rest of the file. */
function scrubPrototypes(): string[] {
  const added = [
    ...Object.getOwnPropertyNames(Object.prototype)
      .filter((k) => !PROTO_SNAPSHOT.includes(k))
      .map((k) => {
        delete (Object.prototype as Record<string, unknown>)[k];
        return `Object.prototype.${k}`;
      }),
    ...Object.getOwnPropertyNames(Object)
      .filter((k) => !OBJECT_SNAPSHOT.includes(k))
      .map((k) => {
        delete (Object as unknown as Record<string, unknown>)[k];
        return `Object.${k}`;
      }),
  ];
  return added;
}

afterEach(() => {
  scrubPrototypes();
});

/** Walks `out` along `path`, own properties only. */
function at(out: FieldErrors, path: string[]): unknown {
  let node: unknown = out;
  for (const key of path) {
    if (!node || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key))
      return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Every leaf is a non-empty array of strings; every inner node a plain object. */
function expectContractShape(value: unknown): void {
  expect(value !== null && typeof value === 'object' && !Array.isArray(value)).toBe(true);
  for (const child of Object.values(value as object)) {
    if (Array.isArray(child)) {
      expect(child.length).toBeGreaterThan(0);
      for (const m of child) expect(typeof m).toBe('string');
    } else {
      expectContractShape(child);
    }
  }
}

const junk = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.string(),
  fc.integer(),
  fc.constant(null),
  fc.constant({ $gt: '' }),
);
/** A request body whose fields are each valid-looking or junk. */
const requestBody = fc.record(
  {
    type: fc.oneof(fc.constantFrom('e_commerce', 'payment_request'), junk),
    amount: fc.oneof(fc.constantFrom('1', '1.2345', ''), junk),
    currency_code: fc.oneof(fc.constantFrom('KWD', 'XXX'), junk),
    pg_codes: fc.oneof(fc.array(fc.oneof(fc.string(), junk), { maxLength: 3 }), junk),
    customer_email: fc.oneof(fc.constantFrom('a@b.co', 'nope'), junk),
    billing_address: fc.oneof(
      fc.record(
        { country: fc.oneof(fc.constantFrom('KW', 'Kuwait'), junk), city: junk },
        { requiredKeys: [] },
      ),
      junk,
    ),
    agreement: fc.oneof(fc.record({ id: junk, type: junk }, { requiredKeys: [] }), junk),
    payment_instrument: fc.oneof(
      fc.record({ instrument_type: junk, payload: fc.oneof(fc.record({ token: junk }), junk) }),
      junk,
    ),
    card: fc.oneof(fc.record({ number: junk, cvv: junk, expiry_month: junk }, { requiredKeys: [] }), junk),
    payment_method: fc.oneof(fc.constantFrom('card', 'token'), junk),
    operation: fc.oneof(fc.constantFrom('refund', 'void'), junk),
    session_id: junk,
    customer_id: junk,
  },
  { requiredKeys: [] },
);

const SCHEMAS: [string, z.ZodType][] = [
  ['create payment', createPaymentSchema],
  ['submit', submitPaymentSchema],
  ['operation', operationSchema],
  ['list cards', listCardsSchema],
];

describe('toFieldErrors (property)', () => {
  it.each(SCHEMAS)(
    'puts every issue of a random %s body at its own path, in the contract shape',
    (_n, schema) => {
      fc.assert(
        fc.property(counted(fc.oneof(requestBody, junk)), (body) => {
          const parsed = schema.safeParse(body);
          if (parsed.success) return;
          const out = toFieldErrors(parsed.error);
          expectContractShape(out);
          expect(JSON.parse(JSON.stringify(out))).toEqual(out);
          for (const issue of parsed.error.issues) {
            const path = issue.path.length ? issue.path.map(String) : ['non_field_errors'];
            const leaf = at(out, path);
            // an issue on a parent and one on its child cannot both be kept as a list
            if (Array.isArray(leaf)) expect(leaf).toContain(issue.message);
            else expect(leaf).toBeDefined();
          }
          expect(scrubPrototypes()).toEqual([]);
        }),
        { numRuns: 1000 },
      );
    },
  );

  it('keeps every message of prefix-free paths, in order', () => {
    const key = fc.oneof(
      fc.constantFrom('amount', 'card', 'number', '0', '1', 'billing_address'),
      fc.string({ minLength: 1, maxLength: 6 }),
    );
    const paths = fc
      .array(
        fc.tuple(fc.array(key, { minLength: 1, maxLength: 4 }), fc.string({ minLength: 1, maxLength: 10 })),
        {
          maxLength: 12,
        },
      )
      .map((entries) =>
        entries.filter(
          ([p], i) =>
            !entries.some(
              ([q], j) =>
                j !== i &&
                q.length !== p.length &&
                q.slice(0, Math.min(p.length, q.length)).every((k, n) => k === p[n]),
            ),
        ),
      );
    fc.assert(
      fc.property(counted(paths), (entries) => {
        const out: FieldErrors = {};
        for (const [path, message] of entries) addFieldError(out, path, message);
        expectContractShape(out);
        for (const [path] of entries) {
          const expected = entries
            .filter(([q]) => q.join('\u0000') === path.join('\u0000'))
            .map(([, m]) => m);
          expect(at(out, path)).toEqual(expected);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never writes outside the result object, whatever the path keys', () => {
    const hostileKey = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'),
      fc.string({ minLength: 1, maxLength: 6 }),
    );
    fc.assert(
      fc.property(
        counted(
          fc.array(fc.tuple(fc.array(hostileKey, { minLength: 1, maxLength: 4 }), fc.string()), {
            maxLength: 6,
          }),
        ),
        (entries) => {
          const out: FieldErrors = {};
          for (const [path, message] of entries) addFieldError(out, path, message);
          const polluted = scrubPrototypes();
          expect(polluted).toEqual([]);
          expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
          // the last message is in the result, at its path, as own JSON properties
          const last = entries[entries.length - 1];
          if (last) {
            expect(at(out, last[0])).toEqual(expect.arrayContaining([last[1]]));
            expect(JSON.stringify(out)).toContain(JSON.stringify(last[1]));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

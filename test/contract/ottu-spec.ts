/**
 * Ottu's published OpenAPI document, pinned in test/contract/ottu/Ottu_API.yaml (source and
 * commit in the README beside it), as a validator of tokenpay's answers: the response schema Ottu
 * documents for an operation and status, checked with ajv.
 *
 * The document's generator marks every read-only field `required`, including ones Ottu's own
 * descriptions say appear only on request or only when they have a value. Those, and only those,
 * are relaxed here, each with the reason from the document's own text (RELAXED). Three generator
 * slips are corrected, each named with its evidence (CORRECTIONS); where tokenpay's CONTRACT fixes
 * a status Ottu does not list, that status is checked against Ottu's generic error shape
 * (CONTRACT_STATUSES). Everything else is validated as Ottu wrote it: types, enums, formats, and
 * every other required field.
 */
import fs from 'node:fs';
import path from 'node:path';

import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

export const OTTU_SPEC_PATH = path.join(__dirname, 'ottu', 'Ottu_API.yaml');

/** schema → required fields relaxed, and why (quoting the pinned document). */
export const RELAXED: Record<string, Record<string, string>> = {
  ...Object.fromEntries(
    ['Checkout', 'CheckoutGETResponse', 'CheckoutPOSTResponse', 'CheckoutPATCHResponse'].map((name) => [
      name,
      {
        qr_code_url:
          '"If set to true [generate_qr_code], the `qr_code_url` field will be present in the response."',
        sdk_setup_preload_payload:
          '"It will be included in the response solely when the `include_sdk_setup_preload` parameter is set to `true`." (built by the web-SDK work)',
        attachment_short_url:
          'only with an attachment and shortify_attachment_url; tokenpay runs no URL shortener',
      },
    ]),
  ),
  SchemaWebhook: {
    agreement: 'only a payment with an agreement has one',
    card_acceptance_criteria: 'only when the merchant set card acceptance criteria (not offered)',
    customer_address_country: 'only when the payment has a billing address country',
  },
};

/**
 * Generator slips in the pinned document, corrected:
 * - `payment_methods` of the checkout responses is written as one object (`allOf` of
 *   PaymentMethodsForRedirect), but it is a list: the CheckoutSDK schema's own description says
 *   "payment_methods type is an array of objects", and ottu-py iterates it.
 * - The user-cards answer is written as one `Card`, but it is a list: the operation "retrieves a
 *   list of cards", and ottu-py's `Card.get` takes `response[0]`.
 * - The error unions (`AutoDebitErrors`, `CardErrors`, `InquiryErrors`, `PaymentOperationErrors`,
 *   `ClientErrors`) are `oneOf` of schemas that each accept any object (no required field,
 *   additional properties allowed: `FieldErrors` has only an optional `field_name`), so no answer
 *   can match exactly one of them; they are read as `anyOf`.
 */
export const CORRECTIONS = ['payment_methods is a list', 'user cards are a list', 'error unions are anyOf'];

/**
 * Answers whose status or shape tokenpay's CONTRACT fixes where Ottu documents another: checked
 * against the CONTRACT's shape instead (`detail`: Ottu's GenericErrorMessage; `fields`: the
 * CONTRACT's 400 `{"field": ["message"]}`).
 */
export const CONTRACT_STATUSES: Record<string, { shape: 'detail' | 'fields'; why: string }> = {
  'DELETE /b/pbl/v2/card/{token}/ 409': {
    shape: 'detail',
    why: 'CONTRACT §9: a card linked to an active agreement cannot be deleted (409 with detail)',
  },
  'POST /b/checkout/v1/upload-attachment/ 400': {
    shape: 'fields',
    why: 'CONTRACT §1: 400 is {"field": ["message"]}; Ottu writes {"file": "message"} here',
  },
};

export interface OttuContract {
  /** Ottu's response schema for this operation ("POST /b/pbl/v2/card/") and status, or why none. */
  validate(operation: string, status: number, body: unknown): string[];
  /** the operations (METHOD path) of the pinned document */
  operations: string[];
}

export function loadOttuContract(): OttuContract {
  const spec = parse(fs.readFileSync(OTTU_SPEC_PATH, 'utf8')) as {
    paths: Record<
      string,
      Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
    >;
    components: { schemas: Record<string, { required?: string[] }> };
  };
  const schemas = spec.components.schemas as Record<string, Record<string, unknown>>;
  for (const name of ['CheckoutGETResponse', 'CheckoutPOSTResponse', 'CheckoutPATCHResponse', 'Checkout']) {
    const props = schemas[name]!.properties as Record<string, unknown>;
    props.payment_methods = {
      type: 'array',
      items: { $ref: '#/components/schemas/PaymentMethodsForRedirect' },
      readOnly: true,
    };
  }
  const cardsOk = spec.paths['/b/pbl/v2/card/']!.post!.responses!['200']!.content!['application/json']!;
  cardsOk.schema = { type: 'array', items: { $ref: '#/components/schemas/Card' } };
  for (const name of [
    'AutoDebitErrors',
    'CardErrors',
    'InquiryErrors',
    'PaymentOperationErrors',
    'ClientErrors',
  ]) {
    const union = schemas[name]!;
    if (!union.oneOf) throw new Error(`${name} is no longer a oneOf: drop the correction`);
    union.anyOf = union.oneOf;
    delete union.oneOf;
  }
  for (const [name, fields] of Object.entries(RELAXED)) {
    const schema = spec.components.schemas[name];
    if (!schema?.required) throw new Error(`The pinned document has no required list for ${name}`);
    for (const field of Object.keys(fields)) {
      if (!schema.required.includes(field))
        throw new Error(`${name}.${field} is not required: drop the relaxation`);
    }
    schema.required = schema.required.filter((f) => !(f in fields));
  }
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addFormat('decimal', /^-?\d+(\.\d+)?$/);
  ajv.addFormat('double', true);
  ajv.addSchema(spec as object, 'ottu');
  const operations = Object.entries(spec.paths).flatMap(([p, item]) =>
    Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`),
  );
  return {
    operations,
    validate(operation, status, body) {
      const [method, template] = operation.split(' ') as [string, string];
      const op = spec.paths[template]?.[method.toLowerCase()];
      if (!op) return [`${operation} is not in Ottu's document`];
      const fixed = CONTRACT_STATUSES[`${operation} ${status}`];
      if (fixed?.shape === 'detail') {
        const generic = ajv.getSchema('ottu#/components/schemas/GenericErrorMessage')!;
        return generic(body) ? [] : [`${operation} ${status}: not {"detail": "..."}`];
      }
      if (fixed?.shape === 'fields') {
        const fields =
          typeof body === 'object' &&
          body !== null &&
          Object.values(body).length > 0 &&
          Object.values(body).every((v) => Array.isArray(v) && v.every((m) => typeof m === 'string'));
        return fields ? [] : [`${operation} ${status}: not {"field": ["message"]}`];
      }
      const response = op.responses?.[String(status)];
      if (!response)
        return [`${operation} ${status}: Ottu documents ${Object.keys(op.responses ?? {}).join(', ')}`];
      if (status === 204) return [];
      if (!response.content?.['application/json'])
        return [`${operation} ${status}: no JSON schema in Ottu's document`];
      const pointer = `ottu#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`;
      const check = ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
      return check(body)
        ? []
        : (check.errors ?? []).map(
            (e) =>
              `${operation} ${status}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
          );
    },
  };
}

/**
 * API fuzz run (issue 6): schemathesis (test/fuzz/schemathesis.ts installs it from PyPI on first
 * use), driven by GET /openapi.json, against a real tokenpay stack (harness: API, worker,
 * Temporal, FerretDB, gateway simulator), over every operation of the document (GET
 * /openapi.json too): coverage (boundary values, missing and wrong fields, undeclared methods),
 * fuzzing (positive and negative cases) and stateful phases, with a fixed seed and one worker,
 * so a run is repeatable: the same seed gives the same cases.
 *
 * Asserted for every case: no 5xx (`not_a_server_error`), a status the document lists for the
 * operation (`status_code_conformance`), the documented content type and headers, and a body
 * that validates against the documented schema (`response_schema_conformance`); every request
 * got an answer within 10 s. Then: every operation was exercised and answered at least one 2xx
 * (the seeds below work, the run is not all 4xx), the API still answers /healthz and /readyz,
 * and it logged no unhandled error. One line summarises the run: cases per operation and total.
 *
 * Seeds, so that cases get past "404 no such payment": payments in every state the operations
 * act on (created, paid, authorized), saved cards with and without CVV, their customer and order
 * numbers, the demo merchant's pg_codes, the test card numbers, a webhook endpoint that answers
 * 200, and a merchant of its own for the admin cases to reconfigure. Schemathesis takes a path,
 * query or body value from these dictionaries with a probability, and generates the rest.
 * schemathesis_hooks.py makes most Idempotency-Keys unique (generated ones are nearly all "0",
 * which would make every create a 422). Auth comes from the document's securitySchemes:
 * `Api-Key <demo key>` for ApiKey operations, `Admin-Key <admin key>` for AdminKey ones, an
 * operator's bearer secret for the codec (CodecCredentials), none for
 * the customer and operations endpoints; negative cases also send none or a wrong one.
 *
 * Rate limits are raised on this stack: with the defaults most cases would be answered 429
 * before reaching the code under test (the limits themselves are tested in test/security).
 *
 * Budget: TOKENPAY_FUZZ_MAX_EXAMPLES generated cases per operation in the fuzzing phase (the
 * coverage and stateful phases add their own), default 100: about 2,900 cases, 70 s alone and
 * 100 s next to other test files (maxWorkers=2). TOKENPAY_FUZZ_KEEP_REPORTS=1 keeps the reports
 * (schemathesis.toml, output.txt, junit.xml, events.ndjson) in the printed temp directory, as a
 * failing run always does; TOKENPAY_FUZZ_CHECKS=all runs every schemathesis check, to explore.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { csrfToken } from '../../src/api/checkout-session';
import { DEV_DEFAULTS } from '../../src/config';
import {
  ADMIN_KEY,
  card,
  capturedLogs,
  DEMO_API_KEY,
  eventually,
  newPayment,
  startHarness,
  TEST_CARDS,
  type Harness,
} from '../support/harness';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { ensureSchemathesis, runProcess, schemathesisEnv, type Schemathesis } from '../support/schemathesis';

const SEED = 20_260_601;
const MAX_EXAMPLES = Number(process.env.TOKENPAY_FUZZ_MAX_EXAMPLES ?? 100);
const RUN_TIMEOUT_MS = 240_000;
const REQUEST_TIMEOUT_S = 10;
/** TOKENPAY_FUZZ_CHECKS: comma-separated schemathesis checks, or "all" */
const CHECKS = process.env.TOKENPAY_FUZZ_CHECKS?.split(',') ?? [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
];
const CREATE = '/b/checkout/v1/pymt-txn/';
/** the Web Checkout SDK's operations, fuzzed with fewer generated cases (TOKENPAY_FUZZ_MAX_EXAMPLES / 4) */
const SDK_OPERATIONS = [
  'createPublicKey',
  'listPublicKeys',
  'revokePublicKey',
  'sdkScript',
  'sdkScriptPinned',
  'sdkIntegrity',
  'sdkFrame',
  'sdkSetup',
];
const SDK_MAX_EXAMPLES = Math.max(10, Math.round(MAX_EXAMPLES / 4));

let schemathesis: Schemathesis;
let h: Harness;
let receiver: WebhookReceiver;
let seeds: Seeds;

/**
 * Hypothesis draws the first entries of a dictionary most often, so each list starts with the
 * values most likely to get a case past validation.
 */
interface Seeds {
  /** open (created) payments first, then paid and authorized ones */
  sessions: string[];
  /** paid and authorized payments first (refund, capture, void), then open ones (cancel, expire) */
  settled: string[];
  /**
   * Open payments of their own for the operations that close them, so that one operation's
   * cases do not leave the next one only closed payments to act on.
   */
  forSubmit: string[];
  /** auto_debit payments under FUZZ_AGREEMENT, whose linked card is the first of `tokens` */
  forAutoDebit: string[];
  /** the same, for Ottu's second auto-debit path */
  forAutoDebitPayment: string[];
  /** open payments of their own for PUT / PATCH, which change their terms */
  forUpdate: string[];
  /** an uploaded attachment of the demo merchant */
  attachments: string[];
  /** the order numbers of `settled`, in the same order */
  orders: string[];
  /** saved cards of CUSTOMER: the one that can be auto-debited, then the one that needs the CVV */
  tokens: string[];
  /** a saved card of DISPOSABLE_CUSTOMER, for DELETE to remove without starving the other cases */
  disposableTokens: string[];
  /** a merchant the admin cases may reconfigure (the demo merchant's configs stay as seeded) */
  merchantId: string;
  /** public keys of that merchant, by prefix, for revocation */
  keyPrefixes: string[];
  /** an open session of REMOVABLE_CUSTOMER, its page's CSRF token and that customer's cards */
  cardSession: string;
  cardCsrf: string;
  removableTokens: string[];
  /** the SDK's current hash (its immutable URL) */
  sdkHashes: string[];
}

const CUSTOMER = 'fuzz-customer';
/** merchant-initiated charges are bound to an agreement: the no-CVV card is linked to this one */
const FUZZ_AGREEMENT = { id: 'fuzz-agreement', type: 'recurring', frequency: 'monthly' };
const CODEC_OPERATOR_KEY = 'fuzz-codec-operator-secret-93c1d7e2';
const DISPOSABLE_CUSTOMER = 'fuzz-disposable';
/** a customer whose saved cards the customer-side removal cases may remove */
const REMOVABLE_CUSTOMER = 'fuzz-removable';
const SHOP_ORIGIN = 'https://shop.example';
const PG_CODES = ['ottu_pg_kwd_tkn', 'ottu_pg_kwd_tkn_nocvv', 'credit-card', 'ottu_pg_kwd_auth'];

beforeAll(async () => {
  schemathesis = await ensureSchemathesis();
  h = await startHarness({
    env: {
      TOKENPAY_SUBMIT_RATE_PER_IP: '1000000',
      TOKENPAY_SUBMIT_RATE_PER_SESSION: '1000000',
      TOKENPAY_AUTH_FAILURES_PER_MINUTE: '1000000',
      TOKENPAY_CODEC_CREDENTIALS: `fuzz:${CODEC_OPERATOR_KEY}`,
    },
  });
  receiver = await startWebhookReceiver();
  seeds = await seed(h, receiver);
}, 12 * 60_000);

afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

/**
 * Payments in the states the operations act on, saved cards to charge and delete, a merchant to
 * reconfigure. Open payments offer every KWD pg_code of the demo merchant, so a submit with any
 * of them, or an auto-debit of the no-CVV card, can succeed.
 */
async function seed(h: Harness, receiver: WebhookReceiver): Promise<Seeds> {
  const orders = new Map<string, string>();
  const create = async (
    pgCodes: string[],
    customer = CUSTOMER,
    extra: Record<string, unknown> = {},
  ): Promise<string> => {
    const order = `fuzz-order-${orders.size}`;
    const res = await h.merchant(
      'POST',
      CREATE,
      newPayment({
        customer_id: customer,
        order_no: order,
        pg_codes: pgCodes,
        webhook_url: receiver.url,
        redirect_url: 'https://merchant.example/done',
        ...extra,
      }),
    );
    expect(res.status).toBe(201);
    orders.set(res.body.session_id, order);
    return res.body.session_id;
  };
  const pay = async (sessionId: string, pgCode: string, number: string): Promise<any> => {
    expect((await h.request('GET', `/checkout/${sessionId}`)).status).toBe(200);
    const res = await h.request('POST', `/checkout/${sessionId}/submit`, {
      body: { pg_code: pgCode, payment_method: 'card', card: card(number), save_card: true },
    });
    expect(res.status).toBe(200);
    expect(res.body.result).toBe('success');
    return res.body;
  };

  const paid = await create(['ottu_pg_kwd_tkn']);
  const { token: cvvCard } = await pay(paid, 'ottu_pg_kwd_tkn', TEST_CARDS.visa);
  const autoDebit = { payment_type: 'auto_debit', agreement: FUZZ_AGREEMENT };
  const paidNoCvv = await create(['ottu_pg_kwd_tkn_nocvv'], CUSTOMER, autoDebit);
  const { token: noCvvCard } = await pay(paidNoCvv, 'ottu_pg_kwd_tkn_nocvv', TEST_CARDS.mastercard);
  const authorized = await create(['ottu_pg_kwd_auth']);
  expect((await pay(authorized, 'ottu_pg_kwd_auth', TEST_CARDS.amex)).state).toBe('authorized');
  const disposable = await create(['ottu_pg_kwd_tkn'], DISPOSABLE_CUSTOMER);
  const { token: disposableCard } = await pay(disposable, 'ottu_pg_kwd_tkn', TEST_CARDS.visa);
  const openPayments = async (n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await create(PG_CODES));
    return ids;
  };
  const open = await openPayments(3);
  const forSubmit = await openPayments(4);
  const forAutoDebit: string[] = [];
  const forAutoDebitPayment: string[] = [];
  for (let i = 0; i < 3; i++) forAutoDebit.push(await create(PG_CODES, CUSTOMER, autoDebit));
  for (let i = 0; i < 3; i++) forAutoDebitPayment.push(await create(PG_CODES, CUSTOMER, autoDebit));
  const forUpdate = await openPayments(3);
  const upload = new FormData();
  upload.append('file', new Blob(['a fuzz attachment']), 'fuzz.txt');
  const uploaded = await fetch(`${h.baseUrl}/b/checkout/v1/upload-attachment/`, {
    method: 'POST',
    headers: { authorization: `Api-Key ${DEMO_API_KEY}` },
    body: upload,
  });
  expect(uploaded.status).toBe(200);
  const fileUrl = ((await uploaded.json()) as { file_url: string }).file_url;
  const attachmentId = /\/attachments\/([0-9a-f]+)\//.exec(fileUrl)![1]!;

  const merchant = await h.request('POST', '/admin/v1/merchants', {
    body: { name: 'Fuzz Merchant' },
    headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
  });
  expect(merchant.status).toBe(201);
  const keyPrefixes: string[] = [];
  for (let i = 0; i < 2; i++) {
    const key = await h.request('POST', `/admin/v1/merchants/${merchant.body.merchant_id}/public-keys`, {
      body: { allowed_origins: [SHOP_ORIGIN] },
      headers: { authorization: `Admin-Key ${ADMIN_KEY}` },
    });
    expect(key.status).toBe(201);
    keyPrefixes.push(key.body.key_prefix);
  }
  // the customer-side removal: cards of their own customer, an open session of that customer
  const removableTokens: string[] = [];
  for (const number of [TEST_CARDS.visa, TEST_CARDS.mastercard, TEST_CARDS.amex]) {
    const session = await create(['ottu_pg_kwd_tkn'], REMOVABLE_CUSTOMER);
    removableTokens.push((await pay(session, 'ottu_pg_kwd_tkn', number)).token.token);
  }
  const cardSession = await create(['ottu_pg_kwd_tkn'], REMOVABLE_CUSTOMER);
  const integrity = await h.request('GET', '/checkout/v3/integrity.json');
  const sdkHash = /checkout\.([0-9a-f]{16})\.min\.js$/.exec(integrity.body.url)![1]!;
  // the webhook delivery log of the paid payments is not empty
  await eventually(async () => {
    expect(receiver.received.length).toBeGreaterThan(0);
  });
  const sessions = [
    ...open,
    paid,
    paidNoCvv,
    authorized,
    ...forSubmit,
    ...forAutoDebit,
    ...forAutoDebitPayment,
    ...forUpdate,
  ];
  const settled = [paid, authorized, paidNoCvv, ...open];
  return {
    sessions,
    settled,
    forSubmit,
    forAutoDebit,
    forAutoDebitPayment,
    forUpdate,
    attachments: [attachmentId],
    // only the payments the operations act on: an operation by order_no (cancel, delete) must not
    // close the ones kept for submit, auto-debit and update
    orders: settled.map((id) => orders.get(id)!),
    tokens: [noCvvCard.token, cvvCard.token],
    disposableTokens: [disposableCard.token],
    merchantId: merchant.body.merchant_id,
    keyPrefixes,
    cardSession,
    cardCsrf: csrfToken(h.config, cardSession),
    removableTokens,
    sdkHashes: [sdkHash],
  };
}

// schemathesis.toml -------------------------------------------------------------------------

const str = (value: string): string => JSON.stringify(value); // a JSON string is a TOML basic string
const list = (values: string[]): string => `[${values.map(str).join(', ')}]`;
/** parameter → `{ dictionary = "…", probability = … }` lines */
const bindings = (entries: Record<string, [string, number]>): string[] =>
  Object.entries(entries).map(
    ([key, [dictionary, probability]]) =>
      `${str(key)} = { dictionary = ${str(dictionary)}, probability = ${probability} }`,
  );

function config(baseUrl: string, seeds: Seeds, reportDir: string): string {
  const dictionaries: Record<string, string[]> = {
    sessions: seeds.sessions,
    settled: seeds.settled,
    for_submit: seeds.forSubmit,
    for_auto_debit: seeds.forAutoDebit,
    for_auto_debit_payment: seeds.forAutoDebitPayment,
    for_update: seeds.forUpdate,
    attachments: seeds.attachments,
    plugins: ['e_commerce', 'payment_request'],
    orders: seeds.orders,
    tokens: seeds.tokens,
    disposable_tokens: seeds.disposableTokens,
    customers: [CUSTOMER],
    disposable_customers: [DISPOSABLE_CUSTOMER],
    merchants: [seeds.merchantId],
    pg_codes: PG_CODES,
    currencies: ['KWD'],
    amounts: ['1', '20.230', '1.000', '5.5', '0'],
    expiration_times: ['1 00:00:00', '00:30:00'],
    cards: Object.values(TEST_CARDS),
    cvvs: ['123', '1234'],
    months: ['12', '01'],
    years: ['39', '2039'],
    urls: [receiver.url],
    origins: [SHOP_ORIGIN],
    key_prefixes: seeds.keyPrefixes,
    public_keys: [DEV_DEFAULTS.demoPublicKey],
    frame_origins: h.config.demoSdk.shopOrigins,
    sdk_hashes: seeds.sdkHashes,
    card_sessions: [seeds.cardSession],
    card_csrf: [seeds.cardCsrf],
    removable_tokens: seeds.removableTokens,
  };
  // Parameter ("path.name", "query.name", "body.a.b", "body.list[*]") → [dictionary, probability]:
  // how often a case takes a value from the dictionary instead of a generated one.
  const parameters: Record<string, [string, number]> = {
    'path.session_id': ['sessions', 0.8],
    'body.session_id': ['sessions', 0.8],
    'body.order_no': ['orders', 0.5],
    'path.token': ['tokens', 0.7],
    'body.token': ['tokens', 0.7],
    'body.payment_instrument.payload.token': ['tokens', 0.7],
    'query.customer_id': ['customers', 0.7],
    'body.customer_id': ['customers', 0.7],
    'path.merchant_id': ['merchants', 0.8],
    'path.pg_code': ['pg_codes', 0.6],
    'body.pg_code': ['pg_codes', 0.8],
    'body.pg_codes[*]': ['pg_codes', 0.8],
    'body.currency_code': ['currencies', 0.6],
    'body.amount': ['amounts', 0.7],
    'body.expiration_time': ['expiration_times', 0.8],
    'body.card.number': ['cards', 0.9],
    'body.card.cvv': ['cvvs', 0.8],
    'body.cvv': ['cvvs', 0.8],
    'body.card.expiry_month': ['months', 0.9],
    'body.card.expiry_year': ['years', 0.9],
    'body.webhook_url': ['urls', 0.8],
    'path.attachment_id': ['attachments', 0.8],
    'body.plugin': ['plugins', 0.8],
    'body.allowed_origins[*]': ['origins', 0.8],
    'path.key_prefix': ['key_prefixes', 0.8],
    'path.hash': ['sdk_hashes', 0.8],
    'query.pk': ['public_keys', 0.9],
    'query.origin': ['frame_origins', 0.9],
  };
  return [
    `base-url = ${str(baseUrl)}`,
    `seed = ${SEED}`,
    'workers = 1',
    `request-timeout = ${REQUEST_TIMEOUT_S}`,
    'continue-on-failure = true',
    `hooks = ${str(path.join(__dirname, '../support/schemathesis_hooks.py'))}`,
    '',
    '[generation]',
    `max-examples = ${MAX_EXAMPLES}`,
    'mode = "all"',
    // no example database and no cache: every run starts from the seed alone, and writes nothing
    'database = "none"',
    '',
    '[cache]',
    'enabled = false',
    '',
    '[output.sanitization]',
    'enabled = false', // test keys only; reproductions must show the real headers
    '',
    '[reports]',
    `directory = ${str(reportDir)}`,
    '',
    '[checks]',
    ...(CHECKS.includes('all')
      ? ['enabled = true']
      : ['enabled = false', ...CHECKS.map((check) => `${check}.enabled = true`)]),
    '',
    '[auth.openapi.ApiKey]',
    `api_key = ${str(`Api-Key ${DEMO_API_KEY}`)}`,
    '[auth.openapi.AdminKey]',
    `api_key = ${str(`Admin-Key ${ADMIN_KEY}`)}`,
    '[auth.openapi.CodecCredentials]',
    `bearer = ${str(CODEC_OPERATOR_KEY)}`,
    '',
    ...Object.entries(dictionaries).flatMap(([name, values]) => [
      `[dictionaries.${name}]`,
      `values = ${list(values)}`,
    ]),
    '',
    '[parameters]',
    ...bindings(parameters),
    '',
    // DELETE removes the disposable card, so the cards the other cases charge stay
    '[[operations]]',
    'include-operation-id = "deleteCard"',
    '[operations.parameters]',
    ...bindings({
      'path.token': ['disposable_tokens', 0.7],
      'query.customer_id': ['disposable_customers', 0.7],
    }),
    '',
    // the customer removes their own cards: one session, its CSRF token, that customer's cards
    '[[operations]]',
    'include-operation-id = "removeSavedCard"',
    '[operations.parameters]',
    ...bindings({
      'path.session_id': ['card_sessions', 0.9],
      'header.X-CSRF-Token': ['card_csrf', 0.9],
      'path.token': ['removable_tokens', 0.8],
    }),
    '[operations.generation]',
    `max-examples = ${SDK_MAX_EXAMPLES}`,
    '',
    // the Web Checkout SDK's endpoints are simple (a key lookup, a static script, a page): fewer
    // generated cases keep the whole run within its budget
    '[[operations]]',
    `include-operation-id-regex = ${str(`^(${SDK_OPERATIONS.join('|')})$`)}`,
    '[operations.generation]',
    `max-examples = ${SDK_MAX_EXAMPLES}`,
    '',
    '[[operations]]',
    'include-operation-id = "paymentOperation"',
    '[operations.parameters]',
    ...bindings({ 'body.session_id': ['settled', 0.8] }),
    '',
    '[[operations]]',
    'include-operation-id = "submitPayment"',
    '[operations.parameters]',
    ...bindings({ 'path.session_id': ['for_submit', 0.8] }),
    '',
    ...[
      ['autoDebit', 'for_auto_debit'],
      ['autoDebitPayment', 'for_auto_debit_payment'],
    ].flatMap(([id, dictionary]) => [
      '[[operations]]',
      `include-operation-id = ${str(id!)}`,
      '[operations.parameters]',
      ...bindings({ 'body.session_id': [dictionary!, 0.8] }),
      '',
    ]),
    // PUT / PATCH change the terms of their own open payments, not the ones the others act on
    ...['replacePayment', 'updatePayment'].flatMap((id) => [
      '[[operations]]',
      `include-operation-id = ${str(id)}`,
      '[operations.parameters]',
      ...bindings({ 'path.session_id': ['for_update', 0.8] }),
      '',
    ]),
  ].join('\n');
}

// The run's reports -------------------------------------------------------------------------

interface Tally {
  /** cases per operation ("METHOD /template"), undeclared-method probes included */
  cases: Map<string, number>;
  /** statuses per operation, of the cases sent with the operation's own method */
  statuses: Map<string, Map<number, number>>;
  /** every status of every response (undeclared-method probes included) */
  all: Map<number, number>;
  /** requests that got no response (timeouts, connection errors) */
  noResponse: number;
}

/** Cases per operation and the statuses they got, from the NDJSON report. */
function tally(ndjsonFile: string): Tally {
  const cases = new Map<string, number>();
  const statuses = new Map<string, Map<number, number>>();
  const all = new Map<number, number>();
  let noResponse = 0;
  const bump = <K>(map: Map<K, number>, key: K): void => {
    map.set(key, (map.get(key) ?? 0) + 1);
  };
  for (const line of fs.readFileSync(ndjsonFile, 'utf8').split('\n')) {
    if (!line.startsWith('{"ScenarioFinished"')) continue;
    const event = JSON.parse(line).ScenarioFinished;
    const recorder = event.recorder ?? {};
    const interactions = recorder.interactions ?? {};
    for (const [id, { value }] of Object.entries<any>(recorder.cases ?? {})) {
      // a stateful scenario chains operations; any other scenario is about one operation, and
      // may also send it with an undeclared method (coverage phase: expects 405)
      const method = String(value.method).toUpperCase();
      const label: string = event.phase === 'stateful' ? `${method} ${value.path}` : recorder.label;
      bump(cases, label);
      const response = interactions[id]?.response;
      if (!interactions[id]) continue;
      if (!response) {
        noResponse += 1;
        continue;
      }
      bump(all, response.status_code);
      if (label.split(' ')[0] !== method) continue;
      if (!statuses.has(label)) statuses.set(label, new Map());
      bump(statuses.get(label)!, response.status_code);
    }
  }
  return { cases, statuses, all, noResponse };
}

/** "2xx 812, 4xx 1490" */
function byClass(statuses: Map<number, number>): string {
  const classes = new Map<string, number>();
  for (const [status, n] of statuses) {
    const key = `${Math.floor(status / 100)}xx`;
    classes.set(key, (classes.get(key) ?? 0) + n);
  }
  return [...classes]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');
}

interface JUnit {
  tests: number;
  failures: number;
  errors: number;
  /** "operation: message" of every failed or erroring test case */
  failed: string[];
}

const unescapeXml = (text: string): string =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, '&');

function readJUnit(file: string): JUnit {
  const xml = fs.readFileSync(file, 'utf8');
  const root = /<testsuites\b([^>]*)>/.exec(xml)?.[1] ?? '';
  const attribute = (name: string): number =>
    Number(new RegExp(`\\b${name}="(\\d+)"`).exec(root)?.[1] ?? NaN);
  const failed: string[] = [];
  for (const match of xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
    const problem = /<(failure|error)\b[^>]*>([\s\S]*?)<\/\1>/.exec(match[2]!);
    if (problem) failed.push(`${unescapeXml(match[1]!)}: ${unescapeXml(problem[2]!).trim()}`);
  }
  return { tests: attribute('tests'), failures: attribute('failures'), errors: attribute('errors'), failed };
}

// ------------------------------------------------------------------------------------------------

it(
  'fuzzes every operation of /openapi.json: no 5xx, no undocumented status, content type, header or body',
  async () => {
    const document = (await h.request('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(document.paths).flatMap(([template, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${template}`),
    );

    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenpay-fuzz-'));
    const configFile = path.join(work, 'schemathesis.toml');
    const junitFile = path.join(work, 'junit.xml');
    const ndjsonFile = path.join(work, 'events.ndjson');
    fs.writeFileSync(configFile, config(h.baseUrl, seeds, work));
    const run = await runProcess(
      schemathesis.python,
      [
        '-m',
        'schemathesis.cli',
        '--config-file',
        configFile,
        '--no-color',
        'run',
        `${h.baseUrl}/openapi.json`,
        // selects every operation, including GET /openapi.json, which schemathesis leaves out
        // unless a filter names it (it served the document)
        '--include-path-regex',
        '^/',
        '--report',
        'junit,ndjson',
        '--report-junit-path',
        junitFile,
        '--report-ndjson-path',
        ndjsonFile,
      ],
      // cwd: anything hypothesis or schemathesis writes stays out of the clone
      { cwd: work, env: schemathesisEnv(schemathesis.dir), timeoutMs: RUN_TIMEOUT_MS },
    );
    const output = `${run.stdout}\n${run.stderr}`;
    const context = (): string =>
      `schemathesis ${schemathesis.version} exited ${run.timedOut ? `(killed after ${RUN_TIMEOUT_MS / 1000} s)` : run.code} ` +
      `after ${(run.ms / 1000).toFixed(1)} s; reports in ${work}\n${output.slice(-20_000)}`;
    if (!fs.existsSync(ndjsonFile) || !fs.existsSync(junitFile)) throw new Error(context());

    fs.writeFileSync(path.join(work, 'output.txt'), output);
    const { cases, statuses, all, noResponse } = tally(ndjsonFile);
    const junit = readJUnit(junitFile);
    const total = [...cases.values()].reduce((a, b) => a + b, 0);
    const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? NaN);
    const perOperation = [...cases.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([operation, n]) => `${operation} ${n}`)
      .join(', ');
    console.log(
      `API fuzz (schemathesis ${schemathesis.version}` +
        `${schemathesis.installMs ? `, installed in ${(schemathesis.installMs / 1000).toFixed(1)} s` : ''}` +
        `, seed ${SEED}, max-examples ${MAX_EXAMPLES}): ` +
        `${total} cases over ${cases.size} operations in ${(run.ms / 1000).toFixed(1)} s` +
        `${generated === total ? '' : ` (schemathesis counted ${generated})`}, ` +
        `${junit.failures + junit.errors} failing operations; responses ${byClass(all)}; per operation: ${perOperation}`,
    );

    // the fuzzer's verdict: every check passed for every case
    if (run.code !== 0 || junit.failures !== 0 || junit.errors !== 0 || run.timedOut) {
      throw new Error(`${junit.failed.join('\n\n')}\n\n${context()}`);
    }
    expect(noResponse).toBe(0);
    // every operation of the document was exercised
    expect(operations.filter((operation) => !cases.get(operation))).toEqual([]);
    // independently of schemathesis' checks: no 5xx at all
    expect([...all.keys()].filter((status) => status >= 500)).toEqual([]);
    // the seeds worked: every operation answered at least one success, not only 4xx
    const succeeded = (operation: string): boolean =>
      [...(statuses.get(operation)?.keys() ?? [])].some((status) => status >= 200 && status < 300);
    expect(operations.filter((operation) => !succeeded(operation))).toEqual([]);

    // no crash: the API still serves, and it logged no unhandled error
    expect((await h.request('GET', '/healthz')).status).toBe(200);
    expect((await h.request('GET', '/readyz')).status).toBe(200);
    expect(
      capturedLogs(h)
        .split('\n')
        .filter((line) => line.includes('unhandled error')),
    ).toEqual([]);
    if (!process.env.TOKENPAY_FUZZ_KEEP_REPORTS) fs.rmSync(work, { recursive: true, force: true });
  },
  RUN_TIMEOUT_MS + 60_000,
);

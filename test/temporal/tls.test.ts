/**
 * Temporal connections support TLS, mTLS and API keys (TEMPORAL_TLS_*, TEMPORAL_API_KEY, the
 * names the `temporal` CLI uses): the API and the worker run a whole payment through a frontend
 * that accepts only TLS with a client certificate from its CA and the right API key; without the
 * certificate, with a stranger's, without trusting the server's CA or with a wrong key, nothing
 * gets through.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';

import { loadConfig } from '../../src/config';
import { temporalConnectionOptions } from '../../src/temporal/connection';
import { card, newPayment, startHarness, TEST_CARDS, type Harness } from '../support/harness';
import {
  makePki,
  startSecuredFrontend,
  type SecuredFrontend,
  type TestPki,
} from '../support/temporal-tls-proxy';

jest.setTimeout(90_000);

const API_KEY = 'tmprl-test-api-key-8f2b91c4e7a05d36';
let pki: TestPki;
let frontend: SecuredFrontend;
let h: Harness;

beforeAll(async () => {
  pki = makePki(fs.mkdtempSync(path.join(os.tmpdir(), 'tokenpay-pki-')));
  frontend = await startSecuredFrontend({ pki, upstream: process.env.TEMPORAL_ADDRESS!, apiKey: API_KEY });
  h = await startHarness({
    env: {
      TEMPORAL_ADDRESS: frontend.address,
      TEMPORAL_TLS_CA_PATH: pki.ca,
      TEMPORAL_TLS_CERT_PATH: pki.clientCert,
      TEMPORAL_TLS_KEY_PATH: pki.clientKey,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
      TEMPORAL_API_KEY: API_KEY,
    },
  });
});
afterAll(async () => {
  await h?.close();
  await frontend?.close();
  if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
});

it('the API and the worker pay through mTLS with an API key', async () => {
  const created = await h.merchant('POST', '/b/checkout/v1/pymt-txn/', newPayment());
  expect(created.status).toBe(201);
  const paid = await h.request('POST', `/checkout/${created.body.session_id}/submit`, {
    body: {
      pg_code: 'ottu_pg_kwd_tkn',
      payment_method: 'card',
      card: card(TEST_CARDS.visa),
      save_card: false,
    },
  });
  expect(paid.body).toMatchObject({ result: 'success', state: 'paid' });
  // every call came with the client certificate and the key
  expect(frontend.calls.length).toBeGreaterThan(10);
  expect(frontend.calls.every((c) => c.clientCn === 'tokenpay-worker' && c.apiKey === API_KEY)).toBe(true);
  expect(frontend.calls.some((c) => c.path.endsWith('/PollWorkflowTaskQueue'))).toBe(true);
  expect(
    frontend.calls.some(
      (c) => c.path.endsWith('/StartWorkflowExecution') || c.path.endsWith('/ExecuteMultiOperation'),
    ),
  ).toBe(true);
});

describe('refused', () => {
  const settings = (overrides: Record<string, string | undefined>) =>
    loadConfig({
      TEMPORAL_ADDRESS: frontend.address,
      TEMPORAL_TLS_CA_PATH: pki.ca,
      TEMPORAL_TLS_CERT_PATH: pki.clientCert,
      TEMPORAL_TLS_KEY_PATH: pki.clientKey,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
      TEMPORAL_API_KEY: API_KEY,
      ...overrides,
    }).temporal;
  async function systemInfo(temporal: ReturnType<typeof settings>): Promise<string> {
    try {
      const connection = await Connection.connect({
        ...temporalConnectionOptions(temporal),
        connectTimeout: 3_000,
      });
      try {
        await connection.workflowService.getSystemInfo({});
        return 'ok';
      } finally {
        await connection.close();
      }
    } catch (error) {
      const cause = (error as { cause?: Error }).cause;
      return `${(error as Error).message}${cause ? `: ${cause.message}` : ''}`;
    }
  }

  it('with all of it: ok', async () => {
    expect(await systemInfo(settings({}))).toBe('ok');
  });
  it('without a client certificate', async () => {
    expect(
      await systemInfo(settings({ TEMPORAL_TLS_CERT_PATH: undefined, TEMPORAL_TLS_KEY_PATH: undefined })),
    ).not.toBe('ok');
  });
  it('with a certificate from a CA the server does not trust', async () => {
    expect(
      await systemInfo(
        settings({ TEMPORAL_TLS_CERT_PATH: pki.strangerCert, TEMPORAL_TLS_KEY_PATH: pki.strangerKey }),
      ),
    ).not.toBe('ok');
  });
  it("without trusting the server's CA", async () => {
    expect(await systemInfo(settings({ TEMPORAL_TLS_CA_PATH: undefined }))).not.toBe('ok');
  });
  it('with a wrong API key: UNAUTHENTICATED', async () => {
    expect(await systemInfo(settings({ TEMPORAL_API_KEY: 'tmprl-wrong-key-0000000000000' }))).toMatch(
      /UNAUTHENTICATED: invalid API key/,
    );
  });
  it('a missing certificate file is named', () => {
    expect(() =>
      temporalConnectionOptions(settings({ TEMPORAL_TLS_CA_PATH: '/nonexistent/ca.pem' })),
    ).toThrow(/Cannot read TEMPORAL_TLS_CA_PATH \/nonexistent\/ca.pem: ENOENT/);
  });
});

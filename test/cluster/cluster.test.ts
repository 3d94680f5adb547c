/**
 * The production shape (`npm run cluster`, src/dev/cluster) started for real: a Temporal server
 * on PostgreSQL with SQL visibility, the UI behind the operators' front proxy, FerretDB, the
 * simulator, two workers and two API instances behind the load-balancing proxy, all with
 * TOKENPAY_ENV=production and generated keys. Needs `npm run build` (npm test builds first) and
 * the cluster binaries (`node dist/dev/install.js --cluster`, also part of npm test).
 *
 * - tokenpay registered its namespace and search attributes on this server itself;
 * - 16 customers pay concurrently through the proxy, each at a person's pace, and none gets a 429
 *   (each is counted on its own address; both instances share the counters);
 * - an operator opens payment workflows in the real Temporal UI in Chromium, logged in with their
 *   own codec credentials: every payload decodes (no codec error), and each decode is audited
 *   with the operator, the namespace and the workflow id;
 * - one API instance killed: the proxy sends everything to the other one.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Browser } from 'playwright-core';

import { Cluster, freeClusterPorts } from '../../src/dev/cluster/cluster';
import { loadClusterSecrets } from '../../src/dev/cluster/secrets';
import { launchBrowser, screenshot } from '../e2e/support';
import { card, TEST_CARDS } from '../support/harness';

jest.setTimeout(240_000);

let cluster: Cluster;
let workDir: string;
let secrets: Record<string, string>;
let apiKey: string;

interface Reply {
  status: number;
  body: any;
  ms: number;
}

/** A request from a chosen loopback address (a customer's own address), without connection reuse. */
function request(
  sourceIp: string,
  url: string,
  method: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const target = new URL(url);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method,
        localAddress: sourceIp,
        agent: false,
        headers: {
          ...(options.headers ?? {}),
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* HTML */
          }
          resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const MERCHANT_IP = '127.0.0.1';
const createPayment = (orderNo: string, customer: string) =>
  request(MERCHANT_IP, `${cluster.apiUrl}/b/checkout/v1/pymt-txn/`, 'POST', {
    headers: { authorization: `Api-Key ${apiKey}` },
    body: {
      type: 'e_commerce',
      amount: '12.500',
      currency_code: 'KWD',
      pg_codes: ['ottu_pg_kwd_tkn'],
      customer_id: customer,
      order_no: orderNo,
    },
  });

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenpay-cluster-test-'));
  secrets = loadClusterSecrets(path.join(workDir, 'secrets.env'), {}).values;
  apiKey = secrets.TOKENPAY_DEMO_API_KEY!;
  const ports = await freeClusterPorts();
  cluster = await Cluster.create({ dataDir: workDir, ports, secrets, log: () => undefined });
  try {
    await cluster.start();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  // TOKENPAY_TEST_KEEP=1 keeps the cluster's data and logs for a look
  if (workDir && process.env.TOKENPAY_TEST_KEEP !== '1') fs.rmSync(workDir, { recursive: true, force: true });
  else if (workDir) console.log(`cluster data and logs kept in ${workDir}`);
});

it('tokenpay registered its namespace and search attributes on the Temporal server itself', async () => {
  const connection = await Connection.connect({ address: cluster.temporalAddress });
  try {
    const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(ns.namespaceInfo?.name).toBe('default');
    expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBe(30 * 86_400);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    for (const name of ['MerchantId', 'CustomerId', 'OrderNo', 'PaymentState'])
      expect(customAttributes?.[name]).toBeDefined();
    const system = await connection.workflowService.getSystemInfo({});
    expect(system.serverVersion).toBe('1.29.1');
  } finally {
    await connection.close();
  }
});

it('16 customers paying at once through the proxy, each at a person’s pace, get no 429', async () => {
  const customers = 16;
  const durationMs = 30_000;
  const statuses = new Map<number, number>();
  const submitMs: number[] = [];
  const failures: string[] = [];
  const note = (what: string, reply: Reply) => {
    statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    if (reply.status >= 429)
      failures.push(`${what} ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
  };
  let paid = 0;
  const deadline = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: customers }, async (_, i) => {
      const ip = `127.0.0.${100 + i}`;
      const customer = `load-${i}`;
      for (let n = 0; Date.now() < deadline; n++) {
        const created = await createPayment(`load-${i}-${n}-${Date.now()}`, customer);
        note('create', created);
        if (created.status !== 201) continue;
        const sessionId = created.body.session_id as string;
        const page = await request(ip, `${cluster.apiUrl}/checkout/${sessionId}`, 'GET');
        note('page', page);
        const submit = await request(ip, `${cluster.apiUrl}/checkout/${sessionId}/submit`, 'POST', {
          body: {
            pg_code: 'ottu_pg_kwd_tkn',
            payment_method: 'card',
            card: card(TEST_CARDS.visa),
            save_card: false,
          },
        });
        note('submit', submit);
        submitMs.push(submit.ms);
        if (submit.body?.state === 'paid') paid++;
        await new Promise((resolve) => setTimeout(resolve, 1_000)); // reads the receipt, pays again
      }
    }),
  );
  submitMs.sort((a, b) => a - b);
  const p = (q: number) =>
    Math.round(submitMs[Math.min(submitMs.length - 1, Math.floor(q * submitMs.length))]!);
  console.log(
    `cluster load: ${customers} customers, ${paid} paid in ${durationMs / 1000} s (${(paid / (durationMs / 1000)).toFixed(1)}/s), ` +
      `submit p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
  );
  if (failures.length) console.log(`failures (${failures.length}):\n${failures.slice(0, 10).join('\n')}`);
  expect(statuses.get(429) ?? 0).toBe(0);
  expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
  expect(paid).toBeGreaterThanOrEqual(customers * 3);
});

describe('the operator in the Temporal UI', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('sees payment workflows decoded, with their own credentials and no codec error; each decode is audited', async () => {
    const orderNo = `ui-${Date.now()}`;
    const created = await createPayment(orderNo, 'ui-customer');
    expect(created.status).toBe(201);
    const sessionId = created.body.session_id as string;
    const paid = await request('127.0.0.90', `${cluster.apiUrl}/checkout/${sessionId}/submit`, 'POST', {
      body: {
        pg_code: 'ottu_pg_kwd_tkn',
        payment_method: 'card',
        card: card(TEST_CARDS.visa),
        save_card: true,
      },
    });
    expect(paid.body).toMatchObject({ state: 'paid' });

    const [operator, secret] = secrets.TOKENPAY_CODEC_CREDENTIALS!.split(':') as [string, string];
    // without the operator's credentials the UI is not served at all
    expect((await fetch(`${cluster.uiUrl}/namespaces/default/workflows`)).status).toBe(401);

    const context = await browser.newContext({ httpCredentials: { username: operator, password: secret } });
    try {
      const page = await context.newPage();
      const decodes: number[] = [];
      page.on('response', (response) => {
        if (response.url().includes('/codec/decode')) decodes.push(response.status());
      });
      const workflowId = `checkout-${sessionId}`;
      await page.goto(`${cluster.uiUrl}/namespaces/default/workflows/${workflowId}`);
      // the workflow's input (encrypted in history) shows decoded: its order number is in it
      await page.getByText(orderNo).first().waitFor({ timeout: 60_000 });
      await screenshot(page, 'cluster-temporal-ui-decoded').catch(() => undefined);
      const text = await page.locator('body').innerText();
      expect(text).not.toMatch(/codec server could not connect|failed to decode|could not decode/i);
      expect(text).not.toContain('binary/encrypted');
      expect(decodes.length).toBeGreaterThan(0);
      expect(decodes.every((s) => s === 200)).toBe(true);
      // no card number anywhere on the operator's screen
      expect(text).not.toContain(TEST_CARDS.visa);
    } finally {
      await context.close();
    }

    // one audit line per decode: the operator, the namespace, this workflow, how many payloads
    const audits = cluster
      .logFiles()
      .filter((f) => /api-\d+\.log$/.test(f))
      .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'))
      .filter((l) => l.includes('"audit":"codec"'))
      .map((l) => JSON.parse(l));
    const mine = audits.filter((a) => a.workflow_ids?.includes(`checkout-${sessionId}`));
    expect(mine.length).toBeGreaterThan(0);
    for (const a of mine) {
      expect(a).toMatchObject({ who: operator, method: 'operator-key', namespace: 'default', outcome: 'ok' });
      expect(a.payloads).toEqual(expect.any(Number));
      expect(JSON.stringify(a)).not.toContain(orderNo); // never the data
    }
  });
});

it('with one API instance down, the proxy sends every request to the other', async () => {
  const victim = cluster.node.get('api-1')!;
  process.kill(victim.pid!, 'SIGKILL');
  // (a request already on its way to the killed process is answered 502 and retried by its client
  // with its Idempotency-Key: the chaos run covers that; here the instance is simply gone)
  const port = Number(new URL(cluster.apiInstanceUrl(1)).port);
  await until(async () => !(await accepts(port)), 5_000);
  const replies: Reply[] = [];
  for (let i = 0; i < 10; i++) replies.push(await createPayment(`failover-${i}-${Date.now()}`, 'failover'));
  expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
  await cluster.waitReady(60_000, cluster.apiInstanceUrl(1)); // and the supervisor brought it back
  expect(victim.restarts).toBeGreaterThanOrEqual(1);
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

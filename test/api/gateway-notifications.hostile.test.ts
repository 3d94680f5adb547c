/**
 * Hostile input against `POST /gateway/notifications` (CONTRACT §9). The standard hostile cases
 * (test/support/hostile.ts) are sent through a signing proxy that signs every body exactly as
 * it goes out, as the gateway would: so each case gets past the signature and reaches the JSON
 * parser, the schema and the forwarding to the payment's workflow. Then the same kinds of bodies
 * unsigned, forged, and with hostile signature headers. Never a 5xx; every refusal in the
 * contract's shape; a refused notification stores nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { newPayment, startHarness, type Harness } from '../support/harness';
import {
  NOTIFICATIONS_PATH,
  notification,
  nowS,
  SIGNATURE_HEADER,
  signature,
  signedHeaders,
} from '../support/gateway-notifications';
import {
  expectAlive,
  expectNoFailures,
  HUGE,
  newStats,
  runCase,
  standardHostileCases,
  summary,
  UNICODE,
  type BodyEndpoint,
  type Json,
  type Stats,
} from '../support/hostile';

jest.setTimeout(600_000);

let h: Harness;
let proxy: { url: string; close(): Promise<void> };
let base: Record<string, Json>;
const stats: Stats = newStats();

beforeAll(async () => {
  // no charges are made here: the simulator's own notifications are not needed
  h = await startHarness({ notifications: false });
  const created = await h.merchant('POST', '/b/checkout/v1/pymt-txn/', newPayment());
  base = notification(created.body.session_id) as unknown as Record<string, Json>;
  proxy = await startSigningProxy(h.baseUrl);
});

afterAll(async () => {
  console.log(summary('hostile/gateway-notifications', stats, h));
  await proxy?.close();
  await h?.close();
});

/** The harness, seen through the signing proxy (documents are still counted in its database). */
const signedHarness = (): Harness => ({ ...h, baseUrl: proxy.url });

const endpoint: BodyEndpoint = {
  name: 'POST /gateway/notifications (signed)',
  method: 'POST',
  path: () => NOTIFICATIONS_PATH,
  headers: () => ({}),
  base: () => base,
  // each accepted case is then a first delivery again, so every one reaches the workflow
  cleanup: async () => {
    await h.collections.gatewayEvents.deleteMany({});
  },
};

describe('signed hostile bodies', () => {
  standardHostileCases(signedHarness, stats, [endpoint]);
});

describe('unsigned, forged and hostile signatures', () => {
  const raw = () => JSON.stringify(base);
  const json = { 'content-type': 'application/json' };

  it('bodies without a valid signature are refused whatever they hold', async () => {
    await expectNoFailures(stats, async () => {
      const bodies: [string, string][] = [
        ['the base notification', raw()],
        ['invalid JSON', '{"id":'],
        ['an array', '[]'],
        ['deep nesting', '['.repeat(10_000) + ']'.repeat(10_000)],
        ['a huge string', JSON.stringify({ ...base, id: HUGE })],
        ['prototype keys', `{"__proto__":{"polluted":"yes"},${raw().slice(1)}`],
      ];
      for (const [what, body] of bodies) {
        for (const [how, headers] of [
          ['no signature', json],
          [
            'a forged signature',
            { ...json, [SIGNATURE_HEADER]: signature(body, { secret: 'forged-secret-x' }) },
          ],
          ['a signature of another body', { ...json, [SIGNATURE_HEADER]: signature(`${body} `) }],
        ] as const) {
          await runCase(
            h,
            stats,
            `${what}, ${how}`,
            { method: 'POST', path: NOTIFICATIONS_PATH, headers, body },
            { mustReject: true, status: 401 },
          );
        }
      }
    });
  });

  it('hostile signature headers: 401 (or 400 for a real signature outside the window), never more', async () => {
    await expectNoFailures(stats, async () => {
      const valid = signedHeaders(raw())[SIGNATURE_HEADER]!;
      const headers: [string, string, number][] = [
        ['empty', '', 401],
        ['only commas', ',,,,', 401],
        ['t only', `t=${nowS()}`, 401],
        ['v1 only', valid.replace(/^t=\d+,/, ''), 401],
        ['a huge t', `t=${'9'.repeat(400)},${valid.split(',')[1]}`, 401],
        ['a negative t', valid.replace(/^t=/, 't=-'), 401],
        ['a float t', valid.replace(/^t=(\d+)/, 't=$1.5'), 401],
        ['8 kB of v1 entries', `${valid},${'v1=00,'.repeat(1300)}`, 401],
        ['NUL bytes', `t=${nowS()},v1=\u0000`, 401],
        ...UNICODE.filter((u) => /^[\u0020-\u00ff]*$/.test(u)).map((u): [string, string, number] => [
          `unicode ${JSON.stringify(u)}`,
          u,
          401,
        ]),
        ['signed an hour ago', signature(raw(), { t: nowS() - 3600 }), 400],
        ['signed a day ahead', signature(raw(), { t: nowS() + 86_400 }), 400],
        ['signed at 0', signature(raw(), { t: 0 }), 400],
      ];
      for (const [what, header, status] of headers) {
        let headerValue = header;
        try {
          new Headers({ [SIGNATURE_HEADER]: header });
        } catch {
          headerValue = encodeURIComponent(header); // not sendable as is
        }
        await runCase(
          h,
          stats,
          `signature header: ${what}`,
          {
            method: 'POST',
            path: NOTIFICATIONS_PATH,
            headers: { ...json, [SIGNATURE_HEADER]: headerValue },
            body: raw(),
          },
          { mustReject: true, status },
        );
      }
      await expectAlive(h, stats, 'signature headers');
    });
  });
});

/**
 * Signs every request's body as it arrives (the exact bytes, whatever they are) and passes the
 * request on to the API unchanged otherwise; the API's answer comes back unchanged.
 */
async function startSigningProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) continue;
        if (typeof value === 'string') headers[name] = value;
      }
      headers[SIGNATURE_HEADER] = signature(body);
      fetch(`${target}${req.url}`, {
        method: req.method!,
        headers,
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: new Uint8Array(body) }),
      }).then(
        async (response) => {
          const answer = Buffer.from(await response.arrayBuffer());
          const type = response.headers.get('content-type');
          res.writeHead(response.status, type ? { 'content-type': type } : {}).end(answer);
        },
        (error: unknown) => {
          res.writeHead(599, { 'content-type': 'text/plain' }).end(`proxy: ${String(error)}`);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

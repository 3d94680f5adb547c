import express, { type NextFunction, type Request, type Response } from 'express';
import { Clock } from './clock';
import { SimError, badRequest } from './errors';
import { FaultInjector, type FaultTarget } from './faults';
import { IdempotencyGuard, fingerprint, requireIdempotencyKey } from './idempotency';
import { toPublicCharge, type IdempotencyRecord, type IdempotentOperation } from './model';
import { Notifier, type NotifierOptions } from './notifications';
import { SimulatedPsp, type Idem } from './psp';
import {
  parseCaptureRequest,
  parseChargeRequest,
  parseClockRequest,
  parseFaultRequest,
  parseRefundRequest,
  parseTokenRequest,
  parseVoidRequest,
} from './requests';
import { SimStore } from './store';
import { HTML_HEADERS, renderChallengePage, renderDonePage, renderMessagePage } from './three-ds-page';
import { TokenVault } from './tokens';

export interface SimulatorAppOptions {
  /** enables /_sim/faults (and /_sim/clock); without it those routes are 404 */
  faults: boolean;
  /** the simulator's externally reachable base URL, for 3-D Secure links */
  publicUrl: () => string;
  /** persistence file; without it, state is in memory only */
  dataFile?: string;
  /** server-to-server notifications of charge outcomes; without a `url`, none are sent */
  notifications?: Omit<NotifierOptions, 'faults'>;
}

export interface Simulator {
  app: express.Express;
  notifier: Notifier;
  /** releases connections held by timeout faults, stops notification deliveries */
  dispose(): void;
}

/** A money-moving request, parsed, ready to run once or to be replayed. */
interface Prepared {
  operation: IdempotentOperation;
  params: Record<string, unknown>;
  run(idem: Idem): unknown;
  replay(record: IdempotencyRecord): unknown;
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

export function createSimulatorApp(options: SimulatorAppOptions): express.Express {
  return buildSimulator(options).app;
}

export function buildSimulator(options: SimulatorAppOptions): Simulator {
  const clock = new Clock();
  const store = new SimStore(options.dataFile);
  const vault = new TokenVault(clock);
  const faults = options.faults ? new FaultInjector() : undefined;
  const notifier = new Notifier(store, clock, {
    secret: '',
    ...options.notifications,
    ...(faults ? { faults } : {}),
  });
  const psp = new SimulatedPsp(store, vault, clock, () => trimSlash(options.publicUrl()), notifier);
  const guard = new IdempotencyGuard(store);
  notifier.resume();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const json = express.json({ limit: '64kb' });
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  /**
   * Runs a money-moving request: fault injection, Idempotency-Key (replay / 409 / 422), then the
   * operation. Nothing is logged; card data never appears in a response.
   */
  const moneyRoute =
    (target: FaultTarget, prepare: (req: Request) => Prepared) =>
    (req: Request, res: Response): void => {
      const fault = faults?.take(target);
      if (fault?.mode === 'error_500') {
        res
          .status(500)
          .json(errorBody('simulated_error', 'simulated gateway failure (nothing was committed)'));
        return;
      }
      if (fault?.mode === 'timeout') {
        const key = req.get('Idempotency-Key');
        const locked = key !== undefined && key.length > 0 && guard.tryLock(key);
        faults!.hold(req.socket, fault.latency_ms, () => {
          if (locked) guard.release(key);
        });
        return;
      }

      let status = 200;
      let body: unknown;
      let replayed = false;
      try {
        const key = requireIdempotencyKey(req.get('Idempotency-Key'));
        const prepared = prepare(req);
        const print = fingerprint(prepared.operation, prepared.params);
        const record = guard.begin(key, print);
        if (record) {
          body = prepared.replay(record);
          replayed = true;
        } else {
          try {
            body = prepared.run({ key, print });
          } finally {
            guard.release(key);
          }
        }
      } catch (err) {
        if (!(err instanceof SimError)) throw err;
        status = err.status;
        body = errorBody(err.code, err.message);
      }

      if (fault?.mode === 'drop_response_after_commit') {
        req.socket.destroy();
        return;
      }
      if (replayed) res.set('Idempotent-Replayed', 'true');
      res.status(status).json(body);
    };

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.post('/v1/tokens', json, (req, res) => {
    const token = psp.createToken(parseTokenRequest(req.body, clock.now()));
    res.status(201).json(token);
  });

  app.post(
    '/v1/charges',
    json,
    moneyRoute('charge', (req) => {
      const request = parseChargeRequest(req.body, clock.now());
      return {
        operation: 'charge',
        params: request.canonical,
        run: (idem) => toPublicCharge(psp.charge(request, idem)),
        replay: (record) => toPublicCharge(psp.getCharge(record.charge_id)),
      };
    }),
  );

  app.get('/v1/charges', (req, res) => {
    const key = req.query['idempotency_key'];
    if (typeof key !== 'string' || key.length === 0) {
      throw badRequest('invalid_request', 'the idempotency_key query parameter is required');
    }
    const charge = psp.findChargeByIdempotencyKey(key);
    res.json({ data: charge ? [toPublicCharge(charge)] : [] });
  });

  app.get('/v1/charges/:id', (req, res) => {
    res.json(toPublicCharge(psp.getCharge(req.params.id)));
  });

  app.post(
    '/v1/charges/:id/capture',
    json,
    moneyRoute('capture', (req) => {
      const chargeId = String(req.params.id);
      const { amount } = parseCaptureRequest(req.body);
      return {
        operation: 'capture',
        params: { charge_id: chargeId, amount: amount ?? null },
        run: (idem) => toPublicCharge(psp.capture(chargeId, amount, idem)),
        replay: (record) => toPublicCharge(psp.getCharge(record.charge_id)),
      };
    }),
  );

  app.post(
    '/v1/charges/:id/refund',
    json,
    moneyRoute('refund', (req) => {
      const chargeId = String(req.params.id);
      const { amount } = parseRefundRequest(req.body);
      return {
        operation: 'refund',
        params: { charge_id: chargeId, amount },
        run: (idem) => psp.refund(chargeId, amount, idem),
        replay: (record) => psp.getRefund(record.refund_id ?? ''),
      };
    }),
  );

  app.post(
    '/v1/charges/:id/void',
    json,
    moneyRoute('void', (req) => {
      const chargeId = String(req.params.id);
      parseVoidRequest(req.body);
      return {
        operation: 'void',
        params: { charge_id: chargeId },
        run: (idem) => toPublicCharge(psp.void(chargeId, idem)),
        replay: (record) => toPublicCharge(psp.getCharge(record.charge_id)),
      };
    }),
  );

  app.get('/v1/ledger', (_req, res) => {
    res.json({ entries: psp.ledger() });
  });

  const challengeUrl = (chargeId: string) =>
    `${trimSlash(options.publicUrl())}/3ds/${encodeURIComponent(chargeId)}`;

  app.get('/3ds/:chargeId', (req, res) => {
    const charge = psp.findCharge(req.params.chargeId);
    res.set(HTML_HEADERS);
    if (!charge?.three_ds) {
      res.status(404).send(renderMessagePage('Not found', 'There is no 3-D Secure authentication here.'));
      return;
    }
    if (charge.three_ds.status !== 'pending') {
      res.send(renderDonePage(charge));
      return;
    }
    res.send(renderChallengePage(charge, challengeUrl(charge.id)));
  });

  app.post('/3ds/:chargeId', form, json, (req, res) => {
    const chargeId = req.params.chargeId;
    const outcome = (req.body as Record<string, unknown> | undefined)?.['outcome'];
    res.set(HTML_HEADERS);
    if (!psp.findCharge(chargeId)?.three_ds) {
      res.status(404).send(renderMessagePage('Not found', 'There is no 3-D Secure authentication here.'));
      return;
    }
    if (outcome !== 'approve' && outcome !== 'reject') {
      res.status(400).send(renderMessagePage('Bad request', 'outcome must be approve or reject.'));
      return;
    }
    const charge = psp.completeChallenge(chargeId, outcome === 'approve');
    res.redirect(303, charge.return_url ?? `${challengeUrl(charge.id)}/complete`);
  });

  app.get('/3ds/:chargeId/complete', (req, res) => {
    const charge = psp.findCharge(req.params.chargeId);
    res.set(HTML_HEADERS);
    if (!charge?.three_ds) {
      res.status(404).send(renderMessagePage('Not found', 'There is no 3-D Secure authentication here.'));
      return;
    }
    res.send(renderDonePage(charge));
  });

  if (faults) {
    app.get('/_sim/faults', (_req, res) => {
      res.json({ queue: faults.list() });
    });
    app.post('/_sim/faults', json, (req, res) => {
      res.json({ queued: faults.enqueue(parseFaultRequest(req.body)) });
    });
    app.delete('/_sim/faults', (_req, res) => {
      faults.clear();
      res.json({ queued: 0 });
    });
    app.get('/_sim/notifications', (_req, res) => {
      res.json({ ...notifier.stats(), outbox: notifier.pending() });
    });
    app.post('/_sim/clock', json, (req, res) => {
      const { advance_ms } = parseClockRequest(req.body);
      clock.advance(advance_ms);
      res.json({ now: clock.now().toISOString() });
    });
  }

  app.use((_req, res) => {
    res.status(404).json(errorBody('not_found', 'no such route'));
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SimError) {
      res.status(err.status).json(errorBody(err.code, err.message));
      return;
    }
    const status = bodyParserStatus(err);
    if (status !== undefined) {
      res.status(status).json(errorBody('invalid_request', 'the request body could not be read as JSON'));
      return;
    }
    res.status(500).json(errorBody('internal_error', 'internal simulator error'));
  });

  return {
    app,
    notifier,
    dispose: () => {
      faults?.dispose();
      notifier.dispose();
    },
  };
}

/** body-parser errors carry a 4xx `status` (malformed JSON, too large, bad charset). */
function bodyParserStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err) || !('status' in err)) return undefined;
  const status = (err as { status: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

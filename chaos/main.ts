/**
 * `npm run chaos [-- --profile short|long] [--seed N]`: tokenpay under fault injection.
 *
 * Starts a complete stack of its own (Temporal dev server, FerretDB, gateway simulator with
 * faults, worker and API as supervised child processes, a webhook receiver in this process),
 * drives many concurrent payments through the HTTP API while injecting gateway 5xx, timeouts and
 * lost responses, kill -9 of the worker and the API, restarts of Temporal and FerretDB and
 * webhook endpoint outages at seeded random moments; then waits for quiescence and reconciles
 * MongoDB, the workflows, the gateway's ledger and the received webhooks, and scans every log,
 * collection and history for card numbers. Prints a table; exit code 1 if a must-be-0 row is not
 * 0; the last line is a JSON summary. Always stops its processes (also on Ctrl-C and failure).
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';

import { createDataConverter } from '../src/codec/data-converter';
import { parseCodecKeys } from '../src/codec/keys';
import { stopAllServices } from '../src/dev/process';
import {
  closeLeftovers,
  Driver,
  LONG_LIVED,
  PAGE_LOADS,
  planPayments,
  SCENARIOS,
  type DriverProfile,
  type PaymentRun,
} from './driver';
import { FAULT_KINDS, FaultInjector, planFaults, type FaultPlanOptions } from './faults';
import { ApiClient, httpRequest, internalErrors, newRetryStats } from './http';
import { scanForCardData, type LeakScan } from './leaks';
import { elapsedMs, say, sleep } from './log';
import {
  fetchLedger,
  reconcile,
  waitForQuiescence,
  type Finding,
  type Quiescence,
  type Reconciliation,
} from './reconcile';
import { failingRows, printTable, type Row } from './report';
import { randomSeed, Rng } from './rng';
import { ClusterChaosStack } from './cluster-stack';
import { ChaosStack, type Stack } from './stack';
import { ChaosWebhookReceiver } from './webhook-receiver';
import {
  buildChangedBundle,
  nonDeterminismInLogs,
  pinnedRunning,
  versionFacts,
  waitForCurrent,
  replayWith,
  type ReplayCheck,
  type VersionFacts,
} from './upgrade';
import { longLivedHooks } from './long-lived';

interface Profile extends DriverProfile, Omit<FaultPlanOptions, 'windowMs' | 'processKinds'> {
  /** after the window, how long payments in flight may take before they are abandoned */
  tailMs: number;
  quiesceMs: number;
  /** the whole run (after the build), after which it stops everything and fails */
  hardLimitMs: number;
  gatewayTimeoutMs: number;
}

type ProfileName = 'short' | 'long' | 'upgrade';

const PROFILES: Record<ProfileName, Profile> = {
  // CI: about 2 minutes on 2 cores (plus the build).
  short: {
    payments: 60,
    concurrency: 6,
    windowMs: 55_000,
    tailMs: 55_000,
    customers: 8,
    storms: 2,
    paymentBudgetMs: 100_000,
    callBudgetMs: 45_000,
    // longer than the API's takeover of a key a crash left "running" (heartbeat 15 s stale) plus
    // the longest a live request may hold its key (an operation waiting out gateway timeouts)
    keyBusyBudgetMs: 45_000,
    quiesceMs: 40_000,
    hardLimitMs: 200_000,
    gatewayTimeoutMs: 4_000,
    processEveryMs: 14_000,
    gatewayEveryMs: 5_000,
    receiverEveryMs: 30_000,
    receiverDownMs: [3_000, 8_000],
  },
  // People: about 10 minutes.
  long: {
    payments: 1000,
    concurrency: 8,
    windowMs: 450_000,
    tailMs: 150_000,
    customers: 60,
    storms: 20,
    paymentBudgetMs: 150_000,
    callBudgetMs: 60_000,
    keyBusyBudgetMs: 45_000,
    quiesceMs: 120_000,
    hardLimitMs: 1_000_000,
    gatewayTimeoutMs: 4_000,
    processEveryMs: 30_000,
    gatewayEveryMs: 4_000,
    receiverEveryMs: 60_000,
    receiverDownMs: [3_000, 15_000],
  },
  // An upgrade under load (upgrade.ts): no injected faults but the deploy and a webhook endpoint
  // down across it; half the payments before build B is current, half after. About 3 minutes.
  upgrade: {
    payments: 52,
    concurrency: 6,
    windowMs: 60_000,
    tailMs: 50_000,
    customers: 4,
    storms: 1,
    paymentBudgetMs: 100_000,
    callBudgetMs: 45_000,
    keyBusyBudgetMs: 45_000,
    quiesceMs: 90_000,
    hardLimitMs: 330_000,
    gatewayTimeoutMs: 4_000,
    processEveryMs: 0,
    gatewayEveryMs: 0,
    receiverEveryMs: 0,
    receiverDownMs: [0, 0],
  },
};

/** Upgrade profile: how many of A's checkout histories are replayed on A's and on B's code. */
const REPLAY_SAMPLE = 5;

/** Upgrade profile: payments parked in a 3-D Secure challenge on build A until B took over. */
const PARKED_CHALLENGES = 6;

const USAGE = `usage: npm run chaos -- [options]
  --profile short|long|upgrade
                         short: ~60 payments at concurrency 6, ≤ 3 min (CI, default);
                         long: ~1000 payments at concurrency 8, ~10 min;
                         upgrade: a new worker build with a workflow change deployed under
                         load, the old one drained (single-process stack), ~3 min
  --seed N               replay a run's payment mix and fault schedule (printed at start)
  --payments N           override the profile's payment count
  --concurrency N        override the profile's concurrency
  --duration S           override the load window in seconds
  --key-wait S           how long a 409 "Idempotency-Key still being processed" is waited out
  --cluster              run against the production shape (npm run cluster): Temporal server on
                         PostgreSQL, two API instances behind a proxy, two workers; the kills hit
                         one instance at a time, PostgreSQL restarts too
  --keep                 keep the temporary directory (logs, data) even when the run passes`;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

interface Options {
  profileName: ProfileName;
  cluster: boolean;
  profile: Profile;
  seed: number;
  keep: boolean;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: 'string', default: 'short' },
      seed: { type: 'string' },
      payments: { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      'key-wait': { type: 'string' },
      keep: { type: 'boolean', default: false },
      cluster: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  if (values.profile !== 'short' && values.profile !== 'long' && values.profile !== 'upgrade') {
    throw new Error(`--profile must be short, long or upgrade, got "${values.profile}"`);
  }
  if (values.profile === 'upgrade' && values.cluster) {
    throw new Error('--profile upgrade runs on the single-process stack (no --cluster)');
  }
  const profile = { ...PROFILES[values.profile] };
  const payments = positiveInt('payments', values.payments);
  const concurrency = positiveInt('concurrency', values.concurrency);
  const duration = positiveInt('duration', values.duration);
  const keyWait = positiveInt('key-wait', values['key-wait']);
  if (keyWait !== undefined) profile.keyBusyBudgetMs = keyWait * 1000;
  if (payments) profile.payments = payments;
  if (concurrency) profile.concurrency = concurrency;
  if (duration) {
    const extra = duration * 1000 - profile.windowMs;
    profile.windowMs = duration * 1000;
    profile.hardLimitMs += Math.max(0, extra);
  }
  return {
    profileName: values.profile,
    cluster: values.cluster,
    profile,
    seed: positiveInt('seed', values.seed) ?? randomSeed(),
    keep: values.keep,
  };
}

/** Everything the final table and the JSON summary are made of. */
interface Outcome {
  runs: PaymentRun[];
  injector?: FaultInjector;
  quiescence?: Quiescence;
  reconciliation?: Reconciliation;
  leaks?: LeakScan;
  untakenGatewayFaults?: number;
  retries?: ReturnType<typeof newRetryStats>;
  restarts?: Record<string, number>;
  upgrade?: UpgradeOutcome;
  errors: string[];
}

/** What the upgrade profile measured. */
interface UpgradeOutcome {
  buildA: string;
  buildB?: string;
  bCurrentAfterMs?: number;
  bCurrentAt?: number;
  /** how long after the load A still ran pinned payments, and how many when it was stopped */
  drainMs?: number;
  leftOnA?: number;
  parkedWaiting: number;
  facts?: VersionFacts;
  ndeLogLines?: number;
  bundleA?: string;
  bundleB?: string;
  replayOnA?: ReplayCheck;
  replayOnB?: ReplayCheck;
}

function buildRows(o: Outcome): Row[] {
  const rows: Row[] = [];
  const rec = o.reconciliation;
  const runs = o.runs;
  rows.push({ label: 'payments attempted', value: runs.length });
  rows.push({ label: 'created (201)', value: runs.filter((r) => r.sessionId).length, indent: true });
  rows.push({
    label: 'creates whose answer a crash lost, retried with the same key',
    value: runs.filter((r) => r.createAnswerLost).length,
    indent: true,
  });
  rows.push({
    label: 'create outcome unknown (key blocked / no answer)',
    value: runs.filter((r) => r.createProblem).length,
    indent: true,
  });
  for (const scenario of SCENARIOS) {
    const n = runs.filter((r) => r.scenario === scenario).length;
    if (n > 0) rows.push({ label: `scenario ${scenario}`, value: n, indent: true });
  }
  if (rec) {
    for (const [state, n] of Object.entries(rec.states).sort()) {
      rows.push({ label: `ended ${state}`, value: n });
    }
    rows.push({ label: 'charged once', value: rec.chargedOnce });
    rows.push({ label: 'charged twice', value: rec.chargedTwice.length, mustBeZero: true });
    rows.push({ label: 'lost or stuck', value: rec.lost.length + rec.stuck.length, mustBeZero: true });
    rows.push({ label: 'lost (record vs ledger / API)', value: rec.lost.length, indent: true });
    rows.push({ label: 'stuck (workflow vs record)', value: rec.stuck.length, indent: true });
    rows.push({
      label: 'records ≠ ledger (amounts, states)',
      value: rec.ledgerMismatch.length,
      mustBeZero: true,
    });
    rows.push({ label: 'tokens missing for saved cards', value: rec.tokensMissing.length, mustBeZero: true });
    rows.push({ label: 'webhooks missing', value: rec.webhooksMissing.length, mustBeZero: true });
    rows.push({ label: 'webhooks with a bad signature', value: rec.webhookBadSignature, mustBeZero: true });
    rows.push({
      label: 'delivered webhooks missing from the log',
      value: rec.deliveryLogGaps.length,
      mustBeZero: true,
    });
    rows.push({ label: 'webhook events delivered', value: rec.webhooksDelivered, indent: true });
    rows.push({ label: 'duplicate deliveries (at-least-once)', value: rec.webhookDuplicates, indent: true });
    rows.push({ label: 'refunds over-spent', value: rec.refundsOverspent.length, mustBeZero: true });
    rows.push({ label: 'refunds in the ledger', value: rec.refundsInLedger, indent: true });
    rows.push({
      label: 'operations done but answered as failed (e.g. on a retry)',
      value: rec.answeredWrongly.length,
      mustBeZero: true,
    });
    rows.push({
      label: 'refunds/captures/voids executed twice for one request',
      value: rec.operationsRepeated.length,
      mustBeZero: true,
    });
  } else {
    rows.push({ label: 'reconciliation', value: 'not run', mustBeZero: true });
  }
  rows.push(...longLivedRows(runs));
  if (o.upgrade) rows.push(...upgradeRows(o.upgrade, runs));
  if (o.leaks) {
    rows.push({
      label: 'card data found (logs, collections, histories)',
      value: o.leaks.hits.length,
      mustBeZero: true,
    });
    rows.push({
      label: `scanned: ${o.leaks.logFiles} log files (${(o.leaks.logBytes / 1e6).toFixed(1)} MB), ${o.leaks.collections} collections, ${o.leaks.histories} histories`,
      value: '',
      indent: true,
    });
    rows.push({
      label: 'decoded histories not showing the encrypted name (scan blind)',
      value: o.leaks.decodedWithName > 0 ? 0 : 1,
      mustBeZero: true,
    });
  } else {
    rows.push({ label: 'card data scan', value: 'not run', mustBeZero: true });
  }
  rows.push({
    label: 'services not recovered after a fault',
    value: o.injector?.recoveryFailures ?? 0,
    mustBeZero: true,
  });
  rows.push({ label: 'run errors', value: o.errors.length, mustBeZero: true });
  const internal = [...internalErrors.values()].reduce((a, b) => a + b, 0);
  rows.push({
    label: `API answers 500 (a dependency away must be 503)${internal ? ': ' + [...internalErrors].map(([k, v]) => `${k} ×${v}`).join(', ') : ''}`,
    value: internal,
    mustBeZero: true,
  });
  const lostOps = runs.flatMap((r) => r.operations.filter((op) => op.answerLost));
  if (lostOps.length > 0) {
    const tally = new Map<string, number>();
    for (const op of lostOps)
      tally.set(`${op.operation} ${op.status}`, (tally.get(`${op.operation} ${op.status}`) ?? 0) + 1);
    rows.push({
      label: `operations whose answer a crash lost, retried with the same key → ${[...tally].map(([k, v]) => `${k}×${v}`).join(' ')}`,
      value: lostOps.length,
    });
  }
  const storms = runs.filter((r) => r.stormStatuses);
  if (storms.length > 0) {
    const statuses = storms.flatMap((r) => r.stormStatuses!);
    const tally = [...new Set(statuses)]
      .sort()
      .map((s) => `${s === 0 ? 'no answer' : s}×${statuses.filter((x) => x === s).length}`);
    rows.push({
      label: `duplicate-click storms: ${storms.length} × 10 submits → ${tally.join(' ')}`,
      value: '',
    });
  }
  if (o.injector) {
    for (const kind of FAULT_KINDS) rows.push({ label: `fault ${kind}`, value: o.injector.injected[kind] });
    if (o.untakenGatewayFaults) {
      rows.push({
        label: 'gateway faults queued but never hit',
        value: o.untakenGatewayFaults,
        indent: true,
      });
    }
    if (o.injector.skipped)
      rows.push({ label: 'faults skipped (load over)', value: o.injector.skipped, indent: true });
  }
  if (o.restarts) {
    rows.push({
      label: `supervisor restarts: ${Object.entries(o.restarts)
        .map(([n, c]) => `${n} ${c}`)
        .join(', ')}`,
      value: '',
    });
  }
  if (o.retries) {
    rows.push({ label: 'client retries: no answer', value: o.retries.netRetries, indent: true });
    rows.push({ label: 'client retries: 5xx', value: o.retries.serverErrorRetries, indent: true });
    rows.push({
      label: 'client retries: Idempotency-Key busy (409)',
      value: o.retries.keyBusyRetries,
      indent: true,
    });
    rows.push({
      label: 'Idempotency-Keys blocked for the whole budget',
      value: o.retries.keysBlocked,
      indent: true,
    });
  }
  if (o.quiescence) {
    rows.push({
      label: `quiescence ${o.quiescence.quiet ? 'reached' : 'NOT reached'} after ${(o.quiescence.ms / 1000).toFixed(1)} s`,
      value: '',
    });
  }
  return rows;
}

/** The long-lived faults (issue 12): each check, how often it ran, and the page-load storm's bound. */
function longLivedRows(runs: PaymentRun[]): Row[] {
  const rows: Row[] = [];
  let neverExercised = 0;
  for (const { scenario, label } of LONG_LIVED) {
    const mine = runs.filter((r) => r.scenario === scenario && r.longLived);
    const exercised = mine.filter((r) => r.longLived!.exercised).length;
    if (exercised === 0) neverExercised++;
    rows.push({
      label: `${label} (${exercised} of ${mine.length} exercised)`,
      value: mine.filter((r) => r.longLived!.failure).length,
      mustBeZero: true,
    });
  }
  rows.push({
    label: 'long-lived faults not exercised in this run',
    value: neverExercised,
    mustBeZero: true,
  });
  const storms = runs.filter((r) => r.longLived?.historyAdded !== undefined);
  const added = storms.map((r) => r.longLived!.historyAdded!);
  const answers = new Map<string, number>();
  for (const r of storms)
    for (const [k, v] of Object.entries(r.longLived!.pageLoads ?? {}))
      answers.set(k, (answers.get(k) ?? 0) + v);
  rows.push({
    label: `history events added by ${PAGE_LOADS} page loads on a pending challenge (max of ${storms.length}${answers.size ? `; answers ${[...answers].map(([k, v]) => `${k}×${v}`).join(' ')}` : ''})`,
    value: added.length ? Math.max(...added) : 'none',
    max: PAGE_LOAD_HISTORY_MAX,
  });
  return rows;
}

function upgradeRows(u: UpgradeOutcome, runs: PaymentRun[]): Row[] {
  const rows: Row[] = [];
  const f = u.facts;
  rows.push({
    label: `upgrade: build A ${u.buildA} → build B ${u.buildB ?? 'never current'}${u.bCurrentAfterMs !== undefined ? ` (current ${(u.bCurrentAfterMs / 1000).toFixed(1)} s into the load)` : ''}`,
    value: '',
  });
  if (!f) {
    rows.push({ label: 'version analysis', value: 'not run', mustBeZero: true });
    return rows;
  }
  rows.push({
    label: `non-determinism errors (workflow tasks failed, ${f.histories} histories)`,
    value: f.nonDeterminism.length,
    mustBeZero: true,
  });
  rows.push({
    label: "non-determinism in the workers' logs",
    value: u.ndeLogLines ?? 'not read',
    mustBeZero: true,
  });
  for (const [name, build] of [
    ['A', f.buildA],
    ['B', f.buildB],
  ] as const) {
    rows.push({ label: `checkout runs finished by build ${name}`, value: f.checkoutRuns[build] ?? 0 });
  }
  const other = Object.entries(f.checkoutRuns).filter(([b]) => b !== f.buildA && b !== f.buildB);
  if (other.length)
    rows.push({
      label: `checkout runs finished by other builds: ${other.map(([b, n]) => `${b} ×${n}`).join(', ')}`,
      value: '',
    });
  rows.push({
    label: 'builds that finished no checkout run',
    value: [f.buildA, f.buildB].filter((b) => !f.checkoutRuns[b]).length,
    mustBeZero: true,
  });
  rows.push({
    label: 'pinned payment runs that moved version',
    value: f.pinnedMoved.length,
    mustBeZero: true,
  });
  rows.push({
    label: 'checkout runs started after B was current that ran on A',
    value: f.newOnOld.length,
    mustBeZero: true,
  });
  rows.push({
    label: 'checkout runs of B without the workflow change (or of A with it)',
    value: f.changeMismatch.length,
    mustBeZero: true,
  });
  const parked = runs.filter((r) => r.scenario === 'three_ds_parked' && r.sessionId);
  const parkedOnA = parked.filter((r) => f.buildOfSession.get(r.sessionId!) === f.buildA);
  rows.push({
    label: `3-D Secure challenges parked on A across the deploy (${u.parkedWaiting} still waiting at release), finished by A`,
    value: `${parkedOnA.length} of ${parked.length}`,
  });
  rows.push({
    label: 'parked challenges not finished by A',
    value: parked.length - parkedOnA.length,
    mustBeZero: true,
  });
  rows.push({
    label: `webhook deliveries started on A and finished on B (auto-upgrade; of ${f.webhookRuns})`,
    value: f.webhookUpgraded,
  });
  rows.push({
    label: `build A drained ${u.drainMs !== undefined ? `${(u.drainMs / 1000).toFixed(1)} s after the load` : '(not waited for)'}: payment runs still on A when it stopped`,
    value: u.leftOnA ?? 'not drained',
    mustBeZero: true,
  });
  if (f.lastCloseOnA && u.bCurrentAt !== undefined) {
    rows.push({
      label: `build A's last payment run closed ${((f.lastCloseOnA.getTime() - u.bCurrentAt) / 1000).toFixed(1)} s after B became current`,
      value: '',
    });
  }
  const ra = u.replayOnA;
  const rb = u.replayOnB;
  if (ra && rb) {
    rows.push({
      label: `A's checkout histories replayed on A's code: failures (the replay check works; of ${ra.replayed})`,
      value: ra.nonDeterministic + ra.otherFailures.length,
      mustBeZero: true,
    });
    rows.push({
      label: `A's checkout histories B's code cannot replay (the change is real; of ${rb.replayed})`,
      value: rb.nonDeterministic,
      min: 1,
    });
  } else {
    rows.push({ label: "replay of A's histories", value: 'not run', mustBeZero: true });
  }
  return rows;
}

/** What 100 page loads on a pending challenge may add to its history (18 measured; faults add some). */
const PAGE_LOAD_HISTORY_MAX = 60;

function printFindings(o: Outcome): void {
  const rec = o.reconciliation;
  const show = (title: string, findings: Finding[]) => {
    if (findings.length === 0) return;
    console.log(`\n${title} (${findings.length}):`);
    for (const f of findings.slice(0, 15)) console.log(`  ${f.sessionId}  ${f.detail}`);
    if (findings.length > 15) console.log(`  … and ${findings.length - 15} more`);
  };
  if (rec) {
    show('charged twice', rec.chargedTwice);
    show('lost', rec.lost);
    show('stuck', rec.stuck);
    show('records ≠ ledger', rec.ledgerMismatch);
    show('tokens missing', rec.tokensMissing);
    show('webhooks missing', rec.webhooksMissing);
    show('delivery log gaps', rec.deliveryLogGaps);
    show('refunds over-spent', rec.refundsOverspent);
    show('operations executed twice', rec.operationsRepeated);
    show('operations done but answered as failed', rec.answeredWrongly);
  }
  const f = o.upgrade?.facts;
  if (f) {
    const list = (title: string, items: string[]) =>
      show(
        title,
        items.map((i) => ({ sessionId: '-', detail: i })),
      );
    list('non-determinism', f.nonDeterminism);
    list('pinned runs that moved version', f.pinnedMoved);
    list('new runs on the old build', f.newOnOld);
    list('workflow change mismatch', f.changeMismatch);
    list("replay failures on A's own code", o.upgrade?.replayOnA?.otherFailures ?? []);
    list(
      "replay failures on B's code (other than non-determinism)",
      o.upgrade?.replayOnB?.otherFailures ?? [],
    );
  }
  if (o.leaks?.hits.length) {
    show(
      'card data found',
      o.leaks.hits.map((h) => ({ sessionId: h.where, detail: h.what })),
    );
  }
  show(
    'long-lived faults not as expected',
    o.runs
      .filter((r) => r.longLived?.failure)
      .map((r) => ({
        sessionId: r.sessionId ?? r.orderNo,
        detail: `${r.scenario}: ${r.longLived!.failure} (${r.longLived!.detail ?? ''})`,
      })),
  );
  const problems = o.runs.filter((r) => r.problems.length > 0 || r.createProblem);
  if (problems.length > 0) {
    console.log(`\ndriver notes (${problems.length} payments; informational):`);
    for (const r of problems.slice(0, 12)) {
      const notes = [r.createProblem, ...r.problems].filter(Boolean).map((n) => n!.split('\n')[0]);
      console.log(
        `  #${r.index} ${r.scenario} ${r.sessionId ?? r.orderNo}: ${notes.join(' | ').slice(0, 400)}`,
      );
    }
  }
  if (o.errors.length > 0) {
    console.log('\nrun errors:');
    for (const e of o.errors) console.log(`  ${e}`);
  }
}

function summary(o: Outcome, opts: Options, rows: Row[], workDir: string | undefined, pass: boolean) {
  const rec = o.reconciliation;
  return {
    chaos: pass ? 'pass' : 'fail',
    profile: opts.profileName,
    stack: opts.cluster ? 'cluster' : 'single',
    seed: opts.seed,
    duration_s: Math.round(elapsedMs() / 1000),
    payments_attempted: o.runs.length,
    created: o.runs.filter((r) => r.sessionId).length,
    states: rec?.states ?? {},
    charged_once: rec?.chargedOnce ?? null,
    charged_twice: rec?.chargedTwice.length ?? null,
    lost_or_stuck: rec ? rec.lost.length + rec.stuck.length : null,
    records_ledger_mismatch: rec?.ledgerMismatch.length ?? null,
    tokens_missing: rec?.tokensMissing.length ?? null,
    webhooks_missing: rec?.webhooksMissing.length ?? null,
    webhook_bad_signatures: rec?.webhookBadSignature ?? null,
    delivery_log_gaps: rec?.deliveryLogGaps.length ?? null,
    refunds_overspent: rec?.refundsOverspent.length ?? null,
    operations_repeated: rec?.operationsRepeated.length ?? null,
    operations_answered_wrongly: rec?.answeredWrongly.length ?? null,
    long_lived: Object.fromEntries(
      LONG_LIVED.map(({ scenario }) => {
        const mine = o.runs.filter((r) => r.scenario === scenario && r.longLived);
        return [
          scenario,
          {
            runs: mine.length,
            exercised: mine.filter((r) => r.longLived!.exercised).length,
            failed: mine.filter((r) => r.longLived!.failure).length,
          },
        ];
      }),
    ),
    page_load_history_events: o.runs
      .filter((r) => r.longLived?.historyAdded !== undefined)
      .map((r) => r.longLived!.historyAdded),
    card_data_found: o.leaks?.hits.length ?? null,
    services_not_recovered: o.injector?.recoveryFailures ?? null,
    internal_errors: [...internalErrors.values()].reduce((a, b) => a + b, 0),
    faults: o.injector?.injected ?? {},
    keys_blocked: o.retries?.keysBlocked ?? 0,
    failing: failingRows(rows).map((r) => r.label),
    errors: o.errors,
    ...(workDir ? { work_dir: workDir } : {}),
  };
}

/**
 * The upgrade profile's load: build A current, payments of every kind (and challenges parked on
 * A, and a webhook endpoint down so deliveries wait in retries); half-way, build B's worker starts
 * beside A's and becomes current; the parked customers come back and the endpoint with them; when
 * the load is done and A runs no payment any more, A's worker is stopped.
 */
async function upgradeLoad(c: {
  stack: ChaosStack;
  client: Client;
  driver: Driver;
  receiver: ChaosWebhookReceiver;
  bundleB: Promise<string>;
  rng: Rng;
  profile: Profile;
  outcome: UpgradeOutcome;
  signal: AbortSignal;
}): Promise<void> {
  const { stack, client, driver, receiver, profile, outcome } = c;
  const buildA = await waitForCurrent(client.connection, () => true, 60_000);
  outcome.buildA = buildA;
  say(`upgrade: build A ${buildA} is current`);
  const half = Math.round(profile.payments / 2);
  const planA = planPayments(c.rng.fork('payments-a'), { ...profile, payments: half }).plan;
  const planB = planPayments(c.rng.fork('payments-b'), {
    ...profile,
    payments: profile.payments - half,
  }).plan.map((p) => ({ ...p, index: p.index + half }));
  const parkRng = c.rng.fork('parked');
  driver.startParked(PARKED_CHALLENGES, () => parkRng.int(1_000, 99_999));
  const loadStart = Date.now();
  const load = driver.run([...planA, ...planB], loadStart);
  let outage: Promise<void> | undefined;
  try {
    await sleep(8_000, c.signal);
    say('upgrade: the webhook endpoint goes down (503) until build B has taken over');
    outage = receiver.outage('error_503', 10 * 60_000);
    const bundleB = await c.bundleB;
    outcome.bundleA = stack.bundlePath;
    outcome.bundleB = bundleB;
    await sleep(loadStart + profile.windowMs / 2 - Date.now(), c.signal);
    say(`upgrade: deploying build B (${bundleB}) beside A: ${driver.progress()}`);
    await stack.startWorker('worker-b', bundleB);
    const buildB = await waitForCurrent(client.connection, (b) => b !== buildA, 60_000);
    outcome.buildB = buildB;
    outcome.bCurrentAt = Date.now();
    outcome.bCurrentAfterMs = outcome.bCurrentAt - loadStart;
    say(`upgrade: build B ${buildB} is current; A keeps what it started`);
    await sleep(8_000, c.signal);
  } finally {
    say('upgrade: the webhook endpoint is back; the parked customers return from their challenges');
    await receiver.ensureUp();
    void outage;
    driver.release();
  }
  await load;
  await driver.drain();
  outcome.parkedWaiting = driver.parkedWaiting;
  const loadDone = Date.now();
  for (;;) {
    const left = await pinnedRunning(client, buildA);
    if (left === 0 || Date.now() - loadDone > 90_000) {
      outcome.leftOnA = left;
      outcome.drainMs = Date.now() - loadDone;
      break;
    }
    await sleep(1_000);
  }
  say(
    `upgrade: build A drained ${(outcome.drainMs / 1000).toFixed(1)} s after the load (${outcome.leftOnA} payment runs left on it); stopping its worker`,
  );
  await stack.stopWorker('worker');
}

async function main(): Promise<void> {
  let opts: Options | undefined;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (!opts) process.exit(0);
  const { profile } = opts;
  const outcome: Outcome = { runs: [], errors: [] };
  const abort = new AbortController();
  let stack: Stack | undefined;
  let receiver: ChaosWebhookReceiver | undefined;
  let mongo: MongoClient | undefined;
  let connection: Connection | undefined;
  let finishing: Promise<never> | undefined;

  /** Stops everything, prints the table and the JSON line, exits. Idempotent. */
  let signalled = false;
  const finish = (interrupted?: string): Promise<never> =>
    (finishing ??= (async () => {
      abort.abort();
      if (interrupted) outcome.errors.push(interrupted);
      const force = setTimeout(() => {
        console.error('[chaos] cleanup is taking too long; killing the process groups');
        process.exit(1); // the exit hook of src/dev/process SIGKILLs every live group
      }, 45_000);
      await outcome.injector?.close();
      await connection?.close().catch(() => undefined);
      await mongo?.close().catch(() => undefined);
      await receiver?.close().catch(() => undefined);
      if (stack) {
        outcome.restarts ??= stack.restarts();
        say('stopping the stack');
        await stack.stop().catch((e: unknown) => outcome.errors.push(`stop: ${(e as Error).message}`));
      } else {
        await stopAllServices('SIGKILL', 2_000);
      }
      clearTimeout(force);
      const rows = buildRows(outcome);
      printTable(
        `tokenpay chaos — profile ${opts.profileName}${opts.cluster ? ' on the cluster' : ''}, seed ${opts.seed}`,
        rows,
      );
      printFindings(outcome);
      const pass = failingRows(rows).length === 0;
      let workDir: string | undefined;
      if (stack) {
        if (pass && !opts.keep) stack.removeWorkDir();
        else {
          workDir = stack.workDir;
          console.log(`\nlogs and data kept in ${workDir}`);
        }
      }
      console.log(
        pass
          ? '\nCHAOS PASSED'
          : `\nCHAOS FAILED (replay: npm run chaos -- --profile ${opts.profileName}${opts.cluster ? ' --cluster' : ''} --seed ${opts.seed})`,
      );
      console.log(JSON.stringify(summary(outcome, opts, rows, workDir, pass)));
      process.exit(signalled ? 130 : pass ? 0 : 1);
    })());

  let interrupts = 0;
  const onSignal = (signal: string) => {
    interrupts++;
    if (interrupts > 1) process.exit(130); // the exit hook SIGKILLs every live group
    say(`${signal}: stopping`);
    signalled = true;
    void finish(`interrupted by ${signal}`);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('unhandledRejection', (error) => {
    say(`unhandled rejection: ${(error as Error)?.stack ?? String(error)}`);
    void finish(`unhandled rejection: ${(error as Error)?.message ?? String(error)}`);
  });
  const hardLimit = setTimeout(() => {
    say(`hard time limit of ${profile.hardLimitMs / 1000} s reached`);
    void finish(`time limit of ${profile.hardLimitMs / 1000} s exceeded`);
  }, profile.hardLimitMs);
  hardLimit.unref();

  const rng = new Rng(opts.seed);
  say(
    `profile ${opts.profileName}${opts.cluster ? ' on the cluster' : ''}, seed ${opts.seed} (replay: npm run chaos -- --profile ${opts.profileName}${opts.cluster ? ' --cluster' : ''} --seed ${opts.seed})`,
  );
  say(
    `${profile.payments} payments at concurrency ${profile.concurrency} within ${profile.windowMs / 1000} s`,
  );
  try {
    const stackOptions = { gatewayTimeoutMs: profile.gatewayTimeoutMs, log: (l: string) => say(l) };
    stack = opts.cluster
      ? await ClusterChaosStack.create(stackOptions)
      : await ChaosStack.create(stackOptions);
    say(`work dir ${stack.workDir}`);
    const upgrade = opts.profileName === 'upgrade' && stack instanceof ChaosStack ? stack : undefined;
    // build B, bundled while the stack starts
    const bundleB = upgrade ? buildChangedBundle(upgrade.workDir) : undefined;
    bundleB?.catch(() => undefined); // (awaited below)
    receiver = new ChaosWebhookReceiver(stack.keys.webhookKey);
    await receiver.start();
    await stack.start();
    say(`stack ready: API ${stack.apiUrl}, simulator ${stack.simulatorUrl}, webhooks ${receiver.url}`);

    const faultPlan = upgrade
      ? []
      : planFaults(rng.fork('faults'), {
          ...profile,
          windowMs: profile.windowMs,
          processKinds: stack.processFaults,
        });
    const { plan, customers } = planPayments(rng.fork('payments'), profile);
    const retries = newRetryStats();
    outcome.retries = retries;
    // The load has its own abort: at its deadline, payments still in flight are abandoned.
    const loadAbort = new AbortController();
    abort.signal.addEventListener('abort', () => loadAbort.abort(), { once: true });
    const api = new ApiClient(stack.apiUrl, stack.keys.apiKey, retries, loadAbort.signal);
    const recv = receiver;
    // Temporal and MongoDB directly: the long-lived faults (an operator's Cancel / Terminate, the
    // maintenance runs with a clock ahead), then the reconciliation.
    connection = await Connection.connect({ address: stack.temporalAddress });
    const client = new Client({
      connection,
      namespace: 'default',
      dataConverter: createDataConverter(parseCodecKeys(stack.keys.codecKeys)),
    });
    mongo = new MongoClient(stack.mongoUri, { serverSelectionTimeoutMS: 15_000 });
    await mongo.connect();
    const db = mongo.db();
    const driver = new Driver(
      api,
      stack.simulatorUrl,
      () => recv.url,
      profile,
      opts.seed.toString(36),
      rng.fork('customers'),
      customers,
      loadAbort.signal,
      (l) => say(l),
      longLivedHooks({
        client,
        db,
        simulatorUrl: stack.simulatorUrl,
        apiUrl: stack.apiUrl,
        gatewayTimeoutMs: profile.gatewayTimeoutMs,
      }),
    );
    outcome.runs = driver.runs;
    const injector = new FaultInjector(stack, receiver, {
      gatewayTimeoutMs: profile.gatewayTimeoutMs,
      recoveryTimeoutMs: 60_000,
      waitForInFlight: (tag, ms) => api.waitForInFlight(tag, ms),
      startCancelVictim: () => driver.startCancelVictim(),
      log: (l) => say(l),
      signal: abort.signal,
    });
    if (!upgrade) outcome.injector = injector;
    if (!upgrade)
      say(
        `fault plan: ${faultPlan
          .map(
            (f) =>
              `${(f.at / 1000).toFixed(0)}s ${f.kind}${f.target ? `/${f.target}` : ''}${f.during ? `/during-${f.during}` : ''}`,
          )
          .join(', ')}`,
      );

    const loadStart = Date.now();
    const faultsDone = injector.run(faultPlan, loadStart);
    const ticker = setInterval(() => say(`load: ${driver.progress()}`), 10_000);
    const loadDeadline = setTimeout(() => {
      say(
        `load deadline (${(profile.windowMs + profile.tailMs) / 1000} s): abandoning the payments in flight`,
      );
      loadAbort.abort();
    }, profile.windowMs + profile.tailMs);
    if (upgrade) {
      outcome.upgrade = { buildA: '?', parkedWaiting: 0 };
      await upgradeLoad({
        stack: upgrade,
        client,
        driver,
        receiver,
        bundleB: bundleB!,
        rng,
        profile,
        outcome: outcome.upgrade,
        signal: loadAbort.signal,
      });
    } else {
      await driver.run(plan, loadStart);
    }
    clearInterval(ticker);
    clearTimeout(loadDeadline);
    injector.stop();
    await faultsDone;
    await injector.close();
    await driver.drain();
    if (abort.signal.aborted) return void (await finish());
    say(`load done: ${driver.progress()} in ${((Date.now() - loadStart) / 1000).toFixed(1)} s`);
    if (loadAbort.signal.aborted) {
      const closer = new ApiClient(stack.apiUrl, stack.keys.apiKey, newRetryStats(), abort.signal);
      const closed = await closeLeftovers(closer, stack.simulatorUrl, driver.runs, 20_000);
      say(`closed ${closed} sessions left open`);
    }

    // Back to normal: no more faults queued, the endpoint up, every service ready.
    const queue = await httpRequest<{ queue: Array<{ remaining: number }> }>(
      'GET',
      `${stack.simulatorUrl}/_sim/faults`,
    );
    outcome.untakenGatewayFaults = (queue.body.queue ?? []).reduce((s, f) => s + f.remaining, 0);
    await httpRequest('DELETE', `${stack.simulatorUrl}/_sim/faults`);
    await receiver.ensureUp();
    await stack.waitReady(60_000, abort.signal);

    outcome.quiescence = await waitForQuiescence(client, db, receiver, profile.quiesceMs, abort.signal, (l) =>
      say(l),
    );
    say(
      outcome.quiescence.quiet
        ? `quiet after ${(outcome.quiescence.ms / 1000).toFixed(1)} s`
        : `not quiet after ${(outcome.quiescence.ms / 1000).toFixed(1)} s: ${outcome.quiescence.runningCheckouts} payment workflows running, ${outcome.quiescence.webhooksPending} webhooks pending`,
    );
    await sleep(1_000, abort.signal); // the delivery log is written right after a delivery
    const ledger = await fetchLedger(stack.simulatorUrl);
    outcome.reconciliation = await reconcile({
      client,
      db,
      ledger,
      runs: driver.runs,
      receiver,
      customerTokens: driver.customerTokens(),
    });
    say('reconciled; scanning logs, collections and histories for card data');
    outcome.leaks = await scanForCardData({
      logFiles: stack.logFiles(),
      db,
      client,
      codecKeys: parseCodecKeys(stack.keys.codecKeys),
    });
    if (outcome.upgrade?.buildB) {
      say('reading every history: which build completed which workflow task');
      outcome.upgrade.facts = await versionFacts(client, {
        a: outcome.upgrade.buildA,
        b: outcome.upgrade.buildB,
        bCurrentAt: outcome.upgrade.bCurrentAt!,
      });
      outcome.upgrade.ndeLogLines = nonDeterminismInLogs(stack.logFiles());
      // A's histories replayed: on A's code (must pass: the check works), on B's (must fail)
      const sample = outcome.upgrade.facts.completedOnA.slice(0, REPLAY_SAMPLE);
      const converter = createDataConverter(parseCodecKeys(stack.keys.codecKeys));
      outcome.upgrade.replayOnA = await replayWith(client, converter, outcome.upgrade.bundleA!, sample);
      outcome.upgrade.replayOnB = await replayWith(client, converter, outcome.upgrade.bundleB!, sample);
    }
    outcome.restarts = stack.restarts();
  } catch (error) {
    if (!abort.signal.aborted) {
      say(`run failed: ${(error as Error).stack ?? String(error)}`);
      outcome.errors.push((error as Error).message.split('\n')[0] ?? String(error));
    }
  }
  await finish();
}

void main();

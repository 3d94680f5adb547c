/**
 * The worker process as `npm start` runs it (src/worker.ts as main): its own, the Temporal SDK's
 * and Core's logs are JSON lines on stdout, and GET /metrics on TOKENPAY_WORKER_METRICS_PORT
 * serves the activities' metrics with the SDK's worker metrics (Core's Prometheus exporter on
 * TOKENPAY_WORKER_SDK_METRICS_PORT) appended.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import { freePort } from '../../src/dev/process';
import { withDatabase } from '../support/harness';

const ROOT = path.resolve(__dirname, '../..');
let child: ChildProcess;
let stdout = '';
let stderr = '';
let metricsUrl: string;

const jsonLines = (): Array<Record<string, any>> =>
  stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out; stdout:\n${stdout}\nstderr:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  const [metricsPort, sdkPort] = [await freePort(), await freePort()];
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const suffix = randomBytes(6).toString('hex');
  child = spawn(
    process.execPath,
    ['-r', path.join(__dirname, '../support/ts-register.js'), path.join(ROOT, 'src/worker.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        MONGODB_URI: withDatabase(process.env.MONGODB_URI!, `w_${suffix}`),
        TEMPORAL_TASK_QUEUE: `tokenpay-worker-process-${suffix}`,
        TOKENPAY_WORKER_METRICS_PORT: String(metricsPort),
        TOKENPAY_WORKER_SDK_METRICS_PORT: String(sdkPort),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  await until(() => jsonLines().find((l) => l.msg === 'worker started'));
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
});

it('serves its metrics with the Temporal SDK worker metrics appended', async () => {
  const text = await until(async () => {
    const res = await fetch(metricsUrl);
    const body = await res.text();
    return /^temporal_\w+/m.test(body) && body.includes('tokenpay_metrics_source_up{source="temporal_sdk"} 1')
      ? body
      : undefined;
  });
  expect(text).toContain('# TYPE tokenpay_gateway_request_duration_seconds histogram');
  expect(text).toContain('# TYPE tokenpay_payments_finalized_total counter');
  expect(text).toMatch(/^process_cpu_user_seconds_total\{service="worker"\} /m);
  expect(text).toMatch(/^temporal_\w+\{.*service_name="temporal-core-sdk".*\} /m);
  expect((await fetch(metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
});

it('logs JSON only (SDK lines included) and stops cleanly on SIGTERM', async () => {
  const started = jsonLines().find((l) => l.msg === 'worker started')!;
  expect(started).toMatchObject({ service: 'worker', level: 30, metrics: metricsUrl });
  await until(() => jsonLines().find((l) => l.sdkComponent === 'worker'));
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  const lines = jsonLines(); // throws on a line that is not JSON
  expect(lines.find((l) => l.msg === 'worker stopped')).toBeDefined();
  for (const line of lines) expect(line).toMatchObject({ service: 'worker', time: expect.any(String) });
});

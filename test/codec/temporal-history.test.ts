/**
 * On the real Temporal dev server: with the encrypted data converter, workflow inputs, results,
 * memos and failure messages are stored as ciphertext (a client without the codec sees no
 * plaintext in the history bytes), while clients with the codec read everything back.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

import { createDataConverter } from '../../src/codec/data-converter';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { decodeHistoryPayloads } from '../../src/codec/history';
import { generateCodecKey, loadCodecKeys } from '../../src/codec/keys';

const TASK_QUEUE = `codec-test-${randomUUID()}`;
const keys = loadCodecKeys({ TOKENPAY_CODEC_KEYS: generateCodecKey('itest').entry });
const dataConverter = createDataConverter(keys);

let connection: Connection;
let nativeConnection: NativeConnection;
let withCodec: Client;
let withoutCodec: Client;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  try {
    // Quiet: "No activities registered" and "Workflow failed" are expected warnings here.
    Runtime.install({
      logger: new DefaultLogger('ERROR', (entry) =>
        console.error(`[temporal] ${entry.level} ${entry.message}`),
      ),
    });
  } catch {
    // already installed in this process (another test file got here first)
  }
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run through jest (globalSetup)');
  connection = await Connection.connect({ address });
  nativeConnection = await NativeConnection.connect({ address });
  withCodec = new Client({ connection, dataConverter });
  withoutCodec = new Client({ connection });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowsPath: require.resolve('./fixtures/echo-workflow'),
    dataConverter,
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
});

async function rawHistory(workflowId: string): Promise<Buffer> {
  const history = await withoutCodec.workflow.getHandle(workflowId).fetchHistory();
  return Buffer.from(temporal.api.history.v1.History.encode(history).finish());
}

/** The same history with every payload decrypted: what a scan for forbidden data must look at. */
async function decryptedHistory(workflowId: string): Promise<Buffer> {
  const history = await withoutCodec.workflow.getHandle(workflowId).fetchHistory();
  const decoded = await decodeHistoryPayloads(history, new EncryptionCodec(keys));
  return Buffer.from(temporal.api.history.v1.History.encode(decoded).finish());
}

it('stores input, result and memo encrypted; the codec client reads the result', async () => {
  const email = `alice.${randomUUID()}@example.com`;
  const workflowId = `codec-echo-${randomUUID()}`;
  const handle = await withCodec.workflow.start('echo', {
    taskQueue: TASK_QUEUE,
    workflowId,
    args: [email],
    memo: { customerEmail: email },
  });
  expect(await handle.result()).toBe(email);

  const bytes = await rawHistory(workflowId);
  expect(bytes.includes('binary/encrypted')).toBe(true);
  expect(bytes.includes('itest')).toBe(true); // the key id
  expect(bytes.includes(email)).toBe(false);
  expect(bytes.includes(email.split('@')[0] as string)).toBe(false);
  expect(bytes.includes(Buffer.from(email).toString('base64').slice(0, 16))).toBe(false);
  const decrypted = await decryptedHistory(workflowId);
  expect(decrypted.includes(email)).toBe(true);
  expect(decrypted.includes('binary/encrypted')).toBe(false);

  // Without the codec, the result is ciphertext the default converter cannot read.
  await expect(withoutCodec.workflow.getHandle(workflowId).result()).rejects.toThrow();
  expect((await withCodec.workflow.getHandle(workflowId).describe()).memo).toEqual({ customerEmail: email });
});

it('stores failure messages encrypted; the codec client reads them', async () => {
  const secretMessage = `card holder Bob ${randomUUID()} was declined`;
  const workflowId = `codec-fail-${randomUUID()}`;
  const handle = await withCodec.workflow.start('echo', {
    taskQueue: TASK_QUEUE,
    workflowId,
    args: ['input', secretMessage],
  });
  const error = await handle.result().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause?.message).toBe(secretMessage);
  expect((cause as ApplicationFailure).type).toBe('EchoFailure');

  const bytes = await rawHistory(workflowId);
  expect(bytes.includes(secretMessage)).toBe(false);
  expect(bytes.includes(secretMessage.split(' ')[3] as string)).toBe(false); // the unique part
  expect(bytes.includes('echo-workflow')).toBe(false); // stack traces are encrypted too
  expect(bytes.includes('Encoded failure')).toBe(true);
  expect((await decryptedHistory(workflowId)).includes(secretMessage)).toBe(true);

  const plainError = await withoutCodec.workflow
    .getHandle(workflowId)
    .result()
    .catch((e: unknown) => e);
  expect(String((plainError as WorkflowFailedError).cause?.message)).not.toContain(secretMessage);
});

/**
 * The card-data scan of CONTRACT §8 over everything the run left behind: every log file of the
 * child processes, every document of every MongoDB collection, and every workflow history — raw
 * and with its payloads decrypted (`decodeHistoryPayloads` with the run's EncryptionCodec).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { BSON, type Db } from 'mongodb';

import { EncryptionCodec } from '../src/codec/encryption-codec';
import { decodeHistoryPayloads } from '../src/codec/history';
import type { CodecKeys } from '../src/codec/keys';
import { ALL_TEST_PANS, NAME_ON_CARD } from './cards';

/** The forms a card number could take after passing through encoders. */
function representations(pan: string): string[] {
  return [
    pan,
    pan.replace(/(\d{4})(?=\d)/g, '$1 '),
    pan.replace(/(\d{4})(?=\d)/g, '$1-'),
    Buffer.from(pan).toString('base64').replace(/=+$/, ''),
    Buffer.from(pan).toString('hex'),
    Buffer.from(pan, 'utf16le').toString('latin1'),
  ];
}
const NEEDLES = ALL_TEST_PANS.flatMap((pan) => representations(pan).map((form) => ({ pan, form })));
const CARD_FIELD = /"(cvv|cvc|card_number|pan)"\s*:\s*"?\d{3,19}/i;

export interface LeakHit {
  where: string;
  what: string;
}

export function findCardData(haystack: string, where: string): LeakHit[] {
  const hits: LeakHit[] = [];
  for (const { pan, form } of NEEDLES) {
    if (haystack.includes(form))
      hits.push({
        where,
        what: `card number ${pan.slice(0, 6)}…${pan.slice(-4)} as "${form.length > 24 ? `${form.slice(0, 24)}…` : form}"`,
      });
  }
  const field = CARD_FIELD.exec(haystack);
  if (field) hits.push({ where, what: `card field ${field[1]}` });
  return hits;
}

export interface LeakScan {
  hits: LeakHit[];
  /** decoded histories that show the (encrypted) name on the card: proof the decoding worked */
  decodedWithName: number;
  logFiles: number;
  logBytes: number;
  collections: number;
  documents: number;
  histories: number;
}

export async function scanForCardData(input: {
  logFiles: string[];
  db: Db;
  client: Client;
  codecKeys: CodecKeys;
}): Promise<LeakScan> {
  // The scanner itself must find card data in each of its forms.
  for (const { form } of NEEDLES) {
    if (findCardData(`x${form}x`, 'self-test').length === 0) throw new Error(`leak scanner misses "${form}"`);
  }
  const scan: LeakScan = {
    hits: [],
    decodedWithName: 0,
    logFiles: 0,
    logBytes: 0,
    collections: 0,
    documents: 0,
    histories: 0,
  };

  for (const file of input.logFiles) {
    const text = fs.readFileSync(file).toString('latin1');
    scan.logFiles++;
    scan.logBytes += text.length;
    scan.hits.push(...findCardData(text, `log ${path.basename(file)}`));
  }

  for (const { name } of await input.db.listCollections().toArray()) {
    const docs = await input.db.collection(name).find({}).toArray();
    scan.collections++;
    scan.documents += docs.length;
    scan.hits.push(...findCardData(BSON.EJSON.stringify(docs), `collection ${name}`));
  }

  const codec = new EncryptionCodec(input.codecKeys);
  const executions: Array<{ workflowId: string; runId: string }> = [];
  for await (const wf of input.client.workflow.list())
    executions.push({ workflowId: wf.workflowId, runId: wf.runId });
  let next = 0;
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (;;) {
        const e = executions[next++];
        if (!e) return;
        const history = await input.client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
        const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
        scan.hits.push(...findCardData(raw, `history of ${e.workflowId}`));
        const decoded = await decodeHistoryPayloads(history, codec);
        const plain = Buffer.from(temporal.api.history.v1.History.encode(decoded).finish()).toString(
          'latin1',
        );
        scan.hits.push(...findCardData(plain, `decoded history of ${e.workflowId}`));
        if (raw.includes(NAME_ON_CARD)) {
          scan.hits.push({ where: `history of ${e.workflowId}`, what: 'the name on the card in clear text' });
        }
        if (plain.includes(NAME_ON_CARD)) scan.decodedWithName++;
        scan.histories++;
      }
    }),
  );
  return scan;
}

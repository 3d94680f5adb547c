/**
 * Decodes every payload of a workflow history with a codec: for operators' tools and for tests
 * that scan histories for data that must never be there (CONTRACT §8: no PAN or CVV "in any form,
 * encrypted or not"). Scanning only the raw, encrypted history would prove nothing.
 */
import type { PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
const PAYLOAD_TYPE = '.temporal.api.common.v1.Payload';

/** A copy of `history` with each payload (inputs, results, memos, failures, ...) decoded. */
export async function decodeHistoryPayloads(
  history: History,
  codec: PayloadCodec,
): Promise<temporal.api.history.v1.History> {
  // A fresh decode gives message instances throughout, so payloads are found by their protobuf
  // type, not by shape.
  const copy = temporal.api.history.v1.History.decode(
    temporal.api.history.v1.History.encode(history).finish(),
  );
  const found: temporal.api.common.v1.Payload[] = [];
  const seen = new Set<object>();
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || node instanceof Uint8Array || seen.has(node)) return;
    seen.add(node);
    if ((node as { $type?: { fullName?: string } }).$type?.fullName === PAYLOAD_TYPE) {
      found.push(node as temporal.api.common.v1.Payload);
      return;
    }
    for (const value of Array.isArray(node) ? node : Object.values(node)) walk(value);
  };
  walk(copy);
  const decoded = await codec.decode(found);
  found.forEach((payload, i) => {
    const plain = decoded[i] ?? payload;
    payload.metadata = plain.metadata ?? {};
    payload.data = plain.data ?? new Uint8Array();
  });
  return copy;
}

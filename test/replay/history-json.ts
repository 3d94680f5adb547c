/**
 * Temporal's JSON history format (proto3 JSON, as `temporal workflow show --output json` writes
 * it), both ways.
 *
 * Why not the SDK's historyToJSON / historyFromJSON (@temporalio/common/lib/proto-utils): with this
 * install's dependency tree, @temporalio/common and @temporalio/proto each get their own copy of
 * protobufjs 8, and the SDK's helpers pass @temporalio/proto's message types to the other copy's
 * JSON converter, which rejects them ("type must be a Type"). Here the converter is the one of the
 * protobufjs copy @temporalio/proto itself loads, so types and converter always match.
 */
import path from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

export type History = proto.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const protoPackageDir = path.dirname(require.resolve('@temporalio/proto/package.json'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protojson = require(
  require.resolve('protobufjs/ext/protojson', { paths: [protoPackageDir] }),
) as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

/** A history as pretty-printed JSON text. */
export function historyToJson(history: History): string {
  const message = proto.temporal.api.history.v1.History.fromObject(history);
  return `${JSON.stringify(protojson.toJson(historyType, message), null, 2)}\n`;
}

/** A history from its JSON text; unknown fields (a newer server's) are ignored. */
export function historyFromJson(text: string): History {
  const history = protojson.fromJson(historyType, JSON.parse(text), { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a workflow history');
  return history as History;
}

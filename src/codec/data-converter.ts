/**
 * tokenpay's data converter: JSON payloads (the SDK default), encrypted by EncryptionCodec, and
 * failures whose messages and stack traces are encoded (so encrypted) too.
 *
 * Every party must use the same converter, or it sees ciphertext (and failures to decode):
 *   Worker.create({ ..., dataConverter })            the worker
 *   new Client({ connection, dataConverter })        the API and any script that reads results
 *   bundleWorkflowCode({ ..., failureConverterPath: FAILURE_CONVERTER_PATH })
 *                                                    a prebuilt workflow bundle (a worker given
 *                                                    `workflowsPath` bundles it itself)
 */
import type { DataConverter } from '@temporalio/common';

import { EncryptionCodec } from './encryption-codec';
import type { CodecKeys } from './keys';

/** Module exporting `failureConverter` (DefaultFailureConverter with encodeCommonAttributes). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export function createDataConverter(keys: CodecKeys): DataConverter {
  return {
    payloadCodecs: [new EncryptionCodec(keys)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}

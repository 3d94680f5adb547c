/**
 * The failure converter of tokenpay's data converter, loaded by path (`failureConverterPath`):
 * workflow code runs in the worker's sandbox, so the SDK imports this module there (it is bundled
 * with the workflows) as well as in the worker and client processes.
 *
 * `encodeCommonAttributes: true` moves each failure's message and stack trace into a payload, which
 * the payload codec then encrypts; history shows only "Encoded failure". Failure `type` names
 * (ApplicationFailure.type) stay plain text: keep personal data out of them.
 *
 * Imports only @temporalio/common: this module must stay safe to load inside the workflow sandbox.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

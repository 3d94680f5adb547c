/**
 * Is this error a dependency being briefly away (MongoDB failing over or restarting, the Temporal
 * frontend restarting), as opposed to a bug? The API answers the former with 503 + Retry-After:
 * the client's retry with the same Idempotency-Key is the right move and nothing was lost, while
 * a 500 would tell an integrator something is broken.
 */
import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

/** Seconds a client should wait before retrying; long enough for a dev-server restart. */
export const RETRY_AFTER_S = 2;

/** gRPC status codes (grpc-js `status`): DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE. */
const TRANSIENT_GRPC = new Set<number>([4, 8, 14]);

/** Server error codes MongoDB sends while shutting down or changing primary. */
const TRANSIENT_MONGO_CODES = new Set<number>([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

const MAX_CAUSE_DEPTH = 5;

export function isDependencyUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current; depth++) {
    if (isTransientMongo(current) || isTransientTemporal(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function isTransientMongo(error: unknown): boolean {
  if (!(error instanceof MongoError)) return false;
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoServerClosedError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoOperationTimeoutError
  ) {
    return true;
  }
  return (
    (typeof error.code === 'number' && TRANSIENT_MONGO_CODES.has(error.code)) ||
    error.hasErrorLabel('RetryableWriteError')
  );
}

function isTransientTemporal(error: unknown): boolean {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  return isGrpcServiceError(error) && TRANSIENT_GRPC.has(error.code);
}

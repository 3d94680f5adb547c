import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';

import { isDependencyUnavailable } from '../../src/api/unavailable';

/** The shape grpc-js gives a failed call (what Temporal's client wraps in ServiceError). */
function grpcError(code: number): Error {
  return Object.assign(new Error(`${code} grpc`), { code, details: 'grpc', metadata: {} });
}

describe('isDependencyUnavailable: a dependency away is a 503, a bug stays a 500', () => {
  it.each([
    ['a MongoDB connection refused', new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017')],
    [
      'no MongoDB server selectable',
      new MongoServerSelectionError(
        'Server selection timed out',
        // The driver passes its topology description; only `error` is read.
        { error: undefined } as unknown as ConstructorParameters<typeof MongoServerSelectionError>[1],
      ),
    ],
    ['MongoDB shutting down', new MongoServerError({ code: 91, errmsg: 'ShutdownInProgress' })],
    ['Temporal frontend unavailable', new ServiceError('Failed to start Workflow', { cause: grpcError(14) })],
    ['a Temporal deadline passed', grpcError(4)],
    [
      'an update that timed out on the client',
      new WorkflowUpdateRPCTimeoutOrCancelledError('timed out', { cause: grpcError(4) }),
    ],
  ])('%s → unavailable', (_what, error) => {
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a duplicate key', new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' })],
    ['Temporal refusing an argument', new ServiceError('bad', { cause: grpcError(3) })],
    ['not an error at all', 'boom'],
    ['nothing', undefined],
  ])('%s → a bug (500)', (_what, error) => {
    expect(isDependencyUnavailable(error)).toBe(false);
  });
});

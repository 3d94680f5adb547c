/** HTTP errors in the contract's shapes: 400 `{field: [msg]}`, everything else `{detail}`. */
import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';

import { toFieldErrors, type FieldErrors } from '../domain/schemas';
import type { Logger } from '../logger';
import { isDependencyUnavailable, RETRY_AFTER_S } from './unavailable';

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.detail === 'string' ? body.detail : `HTTP ${status}`);
  }
}

export const fieldErrors = (errors: FieldErrors): HttpError => new HttpError(400, errors);
export const detail = (status: number, message: string, extra: Record<string, unknown> = {}): HttpError =>
  new HttpError(status, { detail: message, ...extra });

export const notFound = (what = 'Not found.'): HttpError => detail(404, what);

interface BodyParserError {
  type?: string;
  status?: number;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (error instanceof HttpError) {
      if (error.status === 503) res.set('Retry-After', String(RETRY_AFTER_S));
      res.status(error.status).json(error.body);
      return;
    }
    if (error instanceof ZodError) {
      res.status(400).json(toFieldErrors(error));
      return;
    }
    const parserError = error as BodyParserError;
    if (parserError?.type === 'entity.parse.failed') {
      res.status(400).json({ detail: 'The request body is not valid JSON.' });
      return;
    }
    if (parserError?.type === 'entity.too.large') {
      res.status(413).json({ detail: 'The request body is too large.' });
      return;
    }
    if (parserError?.type && typeof parserError.status === 'number' && parserError.status < 500) {
      res.status(parserError.status).json({ detail: 'The request body could not be read.' });
      return;
    }
    // Client errors raised by express itself (a path parameter that is not valid percent-encoding)
    // or by body-parser without a `type` (a gzip body that does not inflate).
    const status = (error as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({
        detail:
          error instanceof URIError
            ? 'The URL is not valid percent-encoding.'
            : 'The request could not be read.',
      });
      return;
    }
    if (isDependencyUnavailable(error)) {
      logger.warn(
        { err: error, method: req.method, path: req.route?.path ?? 'unmatched' },
        'dependency unavailable',
      );
      res
        .status(503)
        .set('Retry-After', String(RETRY_AFTER_S))
        .json({ detail: 'The payment engine is briefly unavailable. Retry with the same Idempotency-Key.' });
      return;
    }
    logger.error({ err: error, method: req.method, path: req.route?.path ?? 'unmatched' }, 'unhandled error');
    res
      .status(500)
      .json({ detail: 'Internal error. It has been logged; retry with the same Idempotency-Key.' });
  };
}

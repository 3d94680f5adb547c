/**
 * Request bodies. Ottu's merchant API (`/b/...`) takes JSON, `application/x-www-form-urlencoded`
 * and `multipart/form-data` on every POST, PUT and PATCH (ottu-py sends multipart as soon as a file
 * `attachment` is given); everything else here (the customer's submit, admin, the codec endpoint)
 * stays JSON-only.
 *
 * Why forms are safe on `/b/` and nowhere else: a browser can send a form cross-site without a
 * preflight, which is what CSRF rides on. Every `/b/` request must carry `Authorization: Api-Key …`,
 * a header no cross-site form can set, so a forged form post is refused 401 before it does
 * anything. The customer's submit is authorised by the session id in its URL alone: a form post
 * from any site would carry it, so that endpoint keeps refusing non-JSON bodies (415), which
 * forces a CORS preflight on cross-site callers. Admin and codec requests are not Ottu's API and
 * keep JSON-only for the same defence in depth.
 */
import express, { type Request, type RequestHandler } from 'express';
import multer, { MulterError } from 'multer';

import { detail } from './errors';

/** Uploaded attachments (Ottu: pdf, jpeg, png, doc, docx, jpg, xls, xlsx, txt) are at most this big. */
export const MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024;
/** The file parts multipart bodies may carry: `attachment` (create/update) and `file` (upload). */
const FILE_FIELDS = ['attachment', 'file'];

const hasBody = (req: Request): boolean =>
  (req.get('content-length') !== undefined || req.get('transfer-encoding') !== undefined) &&
  Number(req.get('content-length') ?? 1) > 0;

/** Bodies are JSON only: anything else is 415, which also stops cross-site form posts. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (['POST', 'PUT', 'PATCH'].includes(req.method) && hasBody(req) && !req.is('application/json')) {
    throw detail(415, 'Content-Type must be application/json.');
  }
  next();
};

/** The merchant API's three body types; anything else is 415. */
export const requireMerchantBody: RequestHandler = (req, _res, next) => {
  if (
    ['POST', 'PUT', 'PATCH'].includes(req.method) &&
    hasBody(req) &&
    !req.is(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'])
  ) {
    throw detail(
      415,
      'Content-Type must be application/json, application/x-www-form-urlencoded or multipart/form-data.',
    );
  }
  next();
};

const multipart = multer({
  storage: multer.memoryStorage(),
  limits: {
    fileSize: MAX_ATTACHMENT_BYTES,
    files: 1,
    fields: 200,
    fieldSize: 64 * 1024,
    parts: 201,
    fieldNameSize: 200,
  },
}).fields(FILE_FIELDS.map((name) => ({ name, maxCount: 1 })));

/** multer's refusals as the contract's errors: too big is 413, any other malformed part 400. */
export const multipartBody: RequestHandler = (req, res, next) => {
  if (!req.is('multipart/form-data')) return next();
  multipart(req, res, (error?: unknown) => {
    if (!error) return next();
    if (error instanceof MulterError) {
      if (error.code === 'LIMIT_FILE_SIZE') {
        return next(
          detail(413, `The file is larger than ${MAX_ATTACHMENT_BYTES / (1024 * 1024)} MiB.`, {
            [error.field ?? 'file']: [`Upload at most ${MAX_ATTACHMENT_BYTES} bytes.`],
          }),
        );
      }
      if (error.code === 'LIMIT_UNEXPECTED_FILE') {
        return next(detail(400, `Only the file fields ${FILE_FIELDS.join(', ')} are accepted.`));
      }
      return next(detail(400, `The multipart body could not be read (${error.code}).`));
    }
    next(detail(400, 'The multipart body could not be read.'));
  });
};

/** The one file a multipart request carried under `name`, if it did. */
export function uploadedFile(req: Request, name: string): Express.Multer.File | undefined {
  const files = req.files as Record<string, Express.Multer.File[]> | undefined;
  return files?.[name]?.[0];
}

/** Form values are strings: these fields are read as booleans ("true"/"false", "1"/"0", "on"). */
const BOOLEAN_FIELDS = new Set([
  'tokenizable',
  'auto_debit',
  'notify_webhook_url',
  'generate_qr_code',
  'include_sdk_setup_preload',
  'shortify_attachment_url',
  'shortify_checkout_url',
  'preload_checkout_page',
]);
/** ...these as lists (one value, repeated keys or `key[]`)... */
const LIST_FIELDS = new Set([
  'pg_codes',
  'currencies',
  'pg_names',
  'email_recipients',
  'tags',
  'payment_services',
]);
/** ...and these as objects: `key[sub]=…` fields, or one field holding JSON (as Django forms take it). */
const OBJECT_FIELDS = new Set([
  'agreement',
  'billing_address',
  'shipping_address',
  'extra',
  'payment_instrument',
  'notifications',
  'card_acceptance_criteria',
  'loyalty',
  'branding_options',
]);

function formValue(key: string, value: unknown): unknown {
  if (BOOLEAN_FIELDS.has(key) && typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (['true', '1', 'on', 'yes'].includes(v)) return true;
    if (['false', '0', 'off', 'no', ''].includes(v)) return false;
    return value;
  }
  if (LIST_FIELDS.has(key)) {
    if (typeof value === 'string') {
      const trimmed = value.trim();
      if (trimmed.startsWith('[')) {
        try {
          return JSON.parse(trimmed) as unknown;
        } catch {
          return value;
        }
      }
      return trimmed === '' ? [] : [value];
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) return Object.values(value);
    return value;
  }
  if (OBJECT_FIELDS.has(key) && typeof value === 'string') {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value; // the schema says what is wrong with it
    }
  }
  return value;
}

/**
 * A form body (urlencoded or multipart) as the JSON body it stands for: booleans, lists and
 * objects read back from their string forms; an empty value is an absent one (Django's forms,
 * which Ottu's API is built on, read them the same way). JSON bodies pass untouched.
 */
export const normalizeFormBody: RequestHandler = (req, _res, next) => {
  if (req.is(['application/x-www-form-urlencoded', 'multipart/form-data']) && req.body) {
    const body: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(req.body as Record<string, unknown>)) {
      if (value === '' && !BOOLEAN_FIELDS.has(key)) continue;
      Object.defineProperty(body, key, {
        value: formValue(key, value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    req.body = body;
  }
  next();
};

/** The merchant API's body parsers, in order. */
export function merchantBodyParsers(): RequestHandler[] {
  return [
    requireMerchantBody,
    express.json({ limit: '64kb', strict: true }),
    // qs with bracket syntax (`billing_address[city]=…`, `pg_codes[]=…`); depth and counts bounded
    express.urlencoded({ extended: true, limit: '64kb', parameterLimit: 200 }),
    multipartBody,
    normalizeFormBody,
    limitJsonDepth(MAX_JSON_DEPTH),
  ];
}

/** No contract body nests deeper than a few levels; deeper ones are refused before any code recurses. */
export const MAX_JSON_DEPTH = 32;

function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

export const limitJsonDepth =
  (max: number): RequestHandler =>
  (req, _res, next) => {
    if (jsonDepthExceeds(req.body, max))
      throw detail(400, `The request body is nested deeper than ${max} levels.`);
    next();
  };

/**
 * Merchant attachments: `POST /b/checkout/v1/upload-attachment/` (Ottu's AttachmentUpload) and the
 * `attachment` file of a create or update. Files are limited in size (body-parsers.ts) and type:
 * Ottu's list (pdf, jpeg, jpg, png, doc, docx, xls, xlsx, txt), checked by extension AND by the
 * file's first bytes, so a renamed executable is refused. They are stored in MongoDB and served
 * back only to the merchant that uploaded them, at the URL the payment's `attachment` holds.
 */
import { Router, type Request } from 'express';

import { updateRefusal } from '../domain/checkout';
import { attachmentUploadSchema } from '../domain/schemas';
import type { Store } from '../store';
import type { MerchantDoc } from '../store/mongo';
import { merchantOf } from './auth';
import { uploadedFile } from './body-parsers';
import { detail, fieldErrors, notFound } from './errors';
import { assertNoRefusal } from './refusals';

const OLE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const ZIP = [0x50, 0x4b, 0x03, 0x04];
const startsWith = (data: Buffer, bytes: number[]): boolean => bytes.every((b, i) => data[i] === b);
const isText = (data: Buffer): boolean =>
  !data.includes(0) && Buffer.from(data.toString('utf8'), 'utf8').equals(data);

/** Ottu's accepted extensions, each with its content type and how its first bytes look. */
const TYPES: Record<string, { contentType: string; looksRight: (data: Buffer) => boolean }> = {
  pdf: { contentType: 'application/pdf', looksRight: (d) => startsWith(d, [0x25, 0x50, 0x44, 0x46]) },
  png: { contentType: 'image/png', looksRight: (d) => startsWith(d, [0x89, 0x50, 0x4e, 0x47]) },
  jpg: { contentType: 'image/jpeg', looksRight: (d) => startsWith(d, [0xff, 0xd8, 0xff]) },
  jpeg: { contentType: 'image/jpeg', looksRight: (d) => startsWith(d, [0xff, 0xd8, 0xff]) },
  doc: { contentType: 'application/msword', looksRight: (d) => startsWith(d, OLE) },
  xls: { contentType: 'application/vnd.ms-excel', looksRight: (d) => startsWith(d, OLE) },
  docx: {
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    looksRight: (d) => startsWith(d, ZIP),
  },
  xlsx: {
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    looksRight: (d) => startsWith(d, ZIP),
  },
  txt: { contentType: 'text/plain; charset=utf-8', looksRight: isText },
};
export const ATTACHMENT_EXTENSIONS = Object.keys(TYPES);
/** Types told apart by their first bytes alone (OLE and ZIP documents are not). */
const SNIFF_ORDER = ['pdf', 'png', 'jpg', 'txt'];

export interface AttachmentDeps {
  store: Store;
  config: { publicBaseUrl: string };
}

/** A safe file name to show and to send back (no path, no control or quote characters). */
function cleanName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? 'attachment';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f"<>]/g, '').slice(-128);
  return cleaned || 'attachment';
}

/**
 * Checks and stores the file a request uploaded under `field`; resolves with the URL it is served
 * at, or undefined when the request carried no such file.
 */
export async function storeUploadedFile(
  deps: AttachmentDeps,
  req: Request,
  field: 'attachment' | 'file',
  sessionId?: string,
): Promise<{ url: string; filename: string } | undefined> {
  const file = uploadedFile(req, field);
  if (!file) return undefined;
  let filename = cleanName(file.originalname);
  let extension = filename.includes('.') ? filename.split('.').pop()!.toLowerCase() : '';
  if (!extension) {
    // a part without a file name's extension: named by what its first bytes are
    extension = SNIFF_ORDER.find((ext) => TYPES[ext]!.looksRight(file.buffer)) ?? '';
    if (extension) filename = `${filename}.${extension}`;
  }
  const type = TYPES[extension];
  if (!type) {
    throw fieldErrors({ [field]: [`Upload one of: ${ATTACHMENT_EXTENSIONS.join(', ')}.`] });
  }
  if (file.size === 0 || !type.looksRight(file.buffer)) {
    throw fieldErrors({ [field]: [`The file is not a valid .${extension} file.`] });
  }
  const id = await deps.store.attachments.insert({
    merchantId: merchantOf(req)._id,
    filename,
    contentType: type.contentType,
    data: file.buffer,
    ...(sessionId ? { sessionId } : {}),
    now: new Date(),
  });
  return { url: `${deps.config.publicBaseUrl}/b/checkout/v1/attachments/${id}/`, filename };
}

export function attachmentRoutes(deps: AttachmentDeps): Router {
  const router = Router();
  const { store } = deps;

  router.post('/checkout/v1/upload-attachment/', async (req, res) => {
    if (!req.is('multipart/form-data')) {
      throw detail(415, 'Upload the file as multipart/form-data (field "file").');
    }
    const body = attachmentUploadSchema.parse(req.body);
    if (!uploadedFile(req, 'file')) throw fieldErrors({ file: ['No file was submitted.'] });
    const merchant: MerchantDoc = merchantOf(req);
    const record = body.session_id
      ? await store.payments.findForMerchant(merchant._id, body.session_id)
      : body.order_no
        ? await store.payments.findByOrderNo(merchant._id, body.order_no)
        : undefined;
    if (record === null) throw notFound('No payment with this session_id or order_no.');
    if (record) assertNoRefusal(updateRefusal(record.state, ['attachment']));
    const stored = (await storeUploadedFile(deps, req, 'file', record?._id))!;
    if (record) await store.payments.amend(merchant._id, record._id, { attachment: stored.url });
    res.json({ file_url: stored.url, original_filename: stored.filename });
  });

  router.get('/checkout/v1/attachments/:id/', async (req, res) => {
    const id = String(req.params.id);
    const file = /^[0-9a-f]{32}$/.test(id) ? await store.attachments.find(merchantOf(req)._id, id) : null;
    if (!file) throw notFound('No attachment with this id.');
    // A download, never rendered: octet-stream plus Content-Disposition (non-ASCII names encoded,
    // RFC 6266); the type the file was checked as is in its name.
    res.attachment(file.filename);
    res.set('Cache-Control', 'private, no-store').type('application/octet-stream').send(file.data);
  });

  return router;
}

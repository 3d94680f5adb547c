/**
 * Merchant attachments (Ottu's `attachment` field and `upload-attachment`): the file's bytes in
 * the `attachments` collection, readable only by the merchant that uploaded it. Small by rule
 * (api/body-parsers.ts MAX_ATTACHMENT_BYTES), so one document holds one file.
 */
import { randomBytes } from 'node:crypto';
import { Binary, type Collection } from 'mongodb';

export interface AttachmentDoc {
  /** unguessable: it appears in URLs */
  _id: string;
  merchant_id: string;
  filename: string;
  content_type: string;
  size: number;
  data: Binary;
  /** the payment it is attached to, when it is */
  session_id?: string;
  created_at: Date;
}

export interface Attachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  data: Buffer;
}

export class AttachmentsRepository {
  constructor(private readonly attachments: Collection<AttachmentDoc>) {}

  async insert(input: {
    merchantId: string;
    filename: string;
    contentType: string;
    data: Buffer;
    sessionId?: string;
    now: Date;
  }): Promise<string> {
    const id = randomBytes(16).toString('hex');
    await this.attachments.insertOne({
      _id: id,
      merchant_id: input.merchantId,
      filename: input.filename,
      content_type: input.contentType,
      size: input.data.length,
      data: new Binary(input.data),
      ...(input.sessionId ? { session_id: input.sessionId } : {}),
      created_at: input.now,
    });
    return id;
  }

  /** Only ever the given merchant's file. */
  async find(merchantId: string, id: string): Promise<Attachment | null> {
    const doc = await this.attachments.findOne({ _id: id, merchant_id: merchantId });
    if (!doc) return null;
    return {
      id: doc._id,
      filename: doc.filename,
      contentType: doc.content_type,
      size: doc.size,
      data: Buffer.from(doc.data.buffer),
    };
  }
}

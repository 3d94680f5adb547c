import { randomBytes } from 'node:crypto';

/** An unguessable id: the prefix plus 128 random bits as 32 hex characters. */
export function newId(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

import { randomBytes } from 'node:crypto';

/** Time-ordered ids (so cursor pages follow creation order) with 64 random bits. */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** Pure hash-chain maths, shared by the writer and the verifier (DOMAIN.md "Integrity"). */
export const GENESIS = '0'.repeat(64);

export interface AuditEvent { seq: number; type: string; at: string; actor: string; data: unknown }

export const canonicalEvent = (e: AuditEvent): string =>
  canonicalize({ seq: e.seq, type: e.type, at: e.at, actor: e.actor, data: e.data }) as string;

export const chainHash = (prevHash: string, e: AuditEvent): string =>
  createHash('sha256').update(prevHash + canonicalEvent(e), 'utf8').digest('hex');

/**
 * The canonical event split around its seq, so the database can fill in the
 * seq of the chain head and hash in the same statement that takes the head's lock.
 * Keys are sorted (RFC 8785): "seq" is the last key but "type", so the last
 * `"seq":0,"type":` is the top-level one.
 */
export function splitAroundSeq(e: Omit<AuditEvent, 'seq'>): [string, string] {
  const text = canonicalEvent({ ...e, seq: 0 });
  const marker = '"seq":0,"type":';
  const i = text.lastIndexOf(marker);
  return [text.slice(0, i + '"seq":'.length), text.slice(i + '"seq":0'.length)];
}

import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** Pure hash-chain maths, shared by the writer and the verifier (DOMAIN.md "Integrity"). */
export const GENESIS = '0'.repeat(64);

export interface AuditEvent { seq: number; type: string; at: string; actor: string; data: unknown }

export const canonicalEvent = (e: AuditEvent): string =>
  canonicalize({ seq: e.seq, type: e.type, at: e.at, actor: e.actor, data: e.data }) as string;

export const chainHash = (prevHash: string, e: AuditEvent): string =>
  createHash('sha256').update(prevHash + canonicalEvent(e), 'utf8').digest('hex');

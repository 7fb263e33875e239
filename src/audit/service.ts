import type { Queryable } from '../db/client.js';
import { GENESIS, chainHash, splitAroundSeq, type AuditEvent } from './chain.js';

export const PLATFORM_CHAIN = 'platform';

export interface StoredEvent extends AuditEvent { prevHash: string; hash: string }

/**
 * Appends one event to a chain inside the caller's transaction, in one
 * statement: the head row's lock orders concurrent writers, and the lock is
 * held only from this statement to commit.
 */
export async function appendEvent(
  tx: Queryable, chain: string, ev: { type: string; actor: string; data: unknown; at: Date },
): Promise<{ seq: number; hash: string }> {
  const at = ev.at.toISOString();
  const [pre, post] = splitAroundSeq({ type: ev.type, at, actor: ev.actor, data: ev.data });
  const rows = await tx.query<{ seq: number; hash: string }>(
    `WITH head AS (
       INSERT INTO audit_heads AS h (chain, seq, hash, prev_hash)
       VALUES ($1, 1, encode(sha256(convert_to($2::text || $3::text || '1' || $4::text, 'UTF8')), 'hex'), $2)
       ON CONFLICT (chain) DO UPDATE SET
         seq = h.seq + 1,
         prev_hash = h.hash,
         hash = encode(sha256(convert_to(h.hash || $3::text || (h.seq + 1)::text || $4::text, 'UTF8')), 'hex')
       RETURNING seq, hash, prev_hash)
     INSERT INTO audit_events (chain, seq, type, at, actor, data, prev_hash, hash)
     SELECT $1::text, seq, $5::text, $6::text, $7::text, $8::jsonb, prev_hash, hash FROM head
     RETURNING seq, hash`,
    [chain, GENESIS, pre, post, ev.type, at, ev.actor, JSON.stringify(ev.data ?? null)]);
  return rows[0];
}

const toEvent = (r: any): StoredEvent => ({
  seq: r.seq, type: r.type, at: r.at, actor: r.actor, data: r.data, prevHash: r.prev_hash, hash: r.hash,
});

export async function listEvents(db: Queryable, chain: string, afterSeq: number, limit: number): Promise<StoredEvent[]> {
  const rows = await db.query(
    `SELECT seq, type, at, actor, data, prev_hash, hash FROM audit_events
      WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [chain, afterSeq, limit]);
  return rows.map(toEvent);
}

export interface ChainReport { chain: string; ok: boolean; events: number; head: string; brokenAt?: { seq: number; reason: string } }

/** Recomputes a chain page by page (memory stays flat) and checks it ends at the recorded head. */
export async function verifyChain(db: Queryable, chain: string, upTo = Number.MAX_SAFE_INTEGER): Promise<ChainReport> {
  let prev = GENESIS;
  let expectSeq = 1;
  let count = 0;
  const fail = (seq: number, reason: string): ChainReport => ({ chain, ok: false, events: count, head: prev, brokenAt: { seq, reason } });
  for (;;) {
    const page = await listEvents(db, chain, expectSeq - 1, 5000);
    for (const e of page) {
      if (e.seq > upTo) return { chain, ok: true, events: count, head: prev };
      if (e.seq !== expectSeq) return fail(expectSeq, 'event missing');
      if (e.prevHash !== prev) return fail(e.seq, 'prevHash does not match the previous event');
      if (chainHash(prev, e) !== e.hash) return fail(e.seq, 'hash does not match the event');
      prev = e.hash; expectSeq++; count++;
    }
    if (page.length < 5000) break;
  }
  const head = await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_heads WHERE chain = $1', [chain]);
  const headSeq = head[0]?.seq ?? 0;
  if (headSeq !== count || (head[0] && head[0].hash !== prev)) return fail(count + 1, 'chain is shorter than its recorded head');
  return { chain, ok: true, events: count, head: prev };
}

import type { Db, Queryable } from '../db/client.js';
import { GENESIS, chainHash, type AuditEvent } from './chain.js';

export const PLATFORM_CHAIN = 'platform';

export interface StoredEvent extends AuditEvent { prevHash: string; hash: string }

/**
 * Records an event in the caller's transaction. By default it is linked into
 * its chain at once (taking the chain's head lock until commit); `deferred`
 * events (bid writes, the hot path) are only queued and linked by the next
 * sealChain, so concurrent bidders never queue on one lock. Either way the
 * chain holds events in commit order.
 */
export async function appendEvent(
  tx: Queryable, chain: string, ev: { type: string; actor: string; data: unknown; at: Date }, opts: { deferred?: boolean } = {},
): Promise<void> {
  await tx.query('INSERT INTO audit_pending (chain, type, at, actor, data) VALUES ($1, $2, $3, $4, $5::text::jsonb)',
    [chain, ev.type, ev.at.toISOString(), ev.actor, JSON.stringify(ev.data ?? null)]);
  if (!opts.deferred) await sealChain(tx, chain);
}

/** Links a chain's queued events, in queue order, under the chain's head lock. */
export async function sealChain(tx: Queryable, chain: string): Promise<number> {
  await tx.query(`INSERT INTO audit_heads (chain, seq, hash, prev_hash) VALUES ($1, 0, $2, $2) ON CONFLICT (chain) DO NOTHING`, [chain, GENESIS]);
  const head = await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_heads WHERE chain = $1 FOR UPDATE', [chain]);
  const pending = await tx.query<{ id: string; type: string; at: string; actor: string; data: unknown }>(
    'SELECT id::text AS id, type, at, actor, data FROM audit_pending WHERE chain = $1 ORDER BY id', [chain]);
  if (!pending.length) return 0;
  let { seq, hash } = head[0];
  const rows = pending.map((p) => {
    const e = { seq: ++seq, type: p.type, at: p.at, actor: p.actor, data: p.data };
    const prevHash = hash;
    hash = chainHash(prevHash, e);
    return { ...e, prevHash, hash };
  });
  await tx.query(
    `INSERT INTO audit_events (chain, seq, type, at, actor, data, prev_hash, hash)
     SELECT $1, s, t, a, who, d::jsonb, p, h FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS u(s, t, a, who, d, p, h)`,
    [chain, rows.map((r) => r.seq), rows.map((r) => r.type), rows.map((r) => r.at), rows.map((r) => r.actor),
      rows.map((r) => JSON.stringify(r.data)), rows.map((r) => r.prevHash), rows.map((r) => r.hash)]);
  await tx.query('DELETE FROM audit_pending WHERE chain = $1 AND id <= $2', [chain, pending[pending.length - 1].id]);
  await tx.query('UPDATE audit_heads SET seq = $2, hash = $3, prev_hash = $4 WHERE chain = $1', [chain, seq, hash, rows[rows.length - 1].prevHash]);
  return rows.length;
}

/** Seals every chain with queued events (the background sealer and readers call this). */
export async function sealAll(db: Db): Promise<number> {
  const chains = await db.query<{ chain: string }>('SELECT DISTINCT chain FROM audit_pending');
  let n = 0;
  for (const { chain } of chains) n += await db.transaction((tx) => sealChain(tx, chain));
  return n;
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

import type { Principal } from '../context.js';
import type { Db, Queryable } from '../db/client.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { notFound } from '../http/problem.js';
import { isSealed } from '../rounds/lifecycle.js';
import type { RoundRow } from '../rounds/mapper.js';
import { phaseOf, visibleRound } from '../rounds/service.js';
import { GENESIS, chainHash, type AuditEvent } from './chain.js';

export const PLATFORM_CHAIN = 'platform';
/** "Up to the end": the highest seq an audit_events row can hold. */
const WHOLE_CHAIN = 2_147_483_647;

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

const SEAL_ALL = 0;

/**
 * Links up to `limit` of a chain's queued events, in queue order, under the
 * chain's head lock; returns how many it linked.
 */
export async function sealChain(tx: Queryable, chain: string, limit = SEAL_ALL): Promise<number> {
  const lockHead = () => tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_heads WHERE chain = $1 FOR UPDATE', [chain]);
  let head = await lockHead();
  if (!head.length) {
    await tx.query(`INSERT INTO audit_heads (chain, seq, hash, prev_hash) VALUES ($1, 0, $2, $2) ON CONFLICT (chain) DO NOTHING`, [chain, GENESIS]);
    head = await lockHead();
  }
  const pending = await tx.query<{ id: string; type: string; at: string; actor: string; data: unknown }>(
    `SELECT p.id::text AS id, p.type, p.at, p.actor, p.data FROM audit_pending p WHERE p.chain = $1 ORDER BY p.id${limit === SEAL_ALL ? '' : ' LIMIT ' + limit}`, [chain]);
  if (!pending.length) return 0;
  let { seq, hash } = head[0];
  const ids: string[] = [], seqs: number[] = [], prevs: string[] = [], hashes: string[] = [];
  for (const p of pending) {
    ids.push(p.id); seqs.push(++seq); prevs.push(hash);
    hash = chainHash(hash, { seq, type: p.type, at: p.at, actor: p.actor, data: p.data });
    hashes.push(hash);
  }
  // The events move from the queue to the chain inside the database, so their data is never
  // re-sent or re-parsed; only the ids read are moved (an event committed since waits for the next seal).
  const moved = await tx.query<{ linked: number }>(
    `WITH moved AS (
       DELETE FROM audit_pending WHERE chain = $1 AND id BETWEEN $9::bigint AND $10::bigint AND id = ANY($2::bigint[]) RETURNING id, type, at, actor, data),
     linked AS (
       INSERT INTO audit_events (chain, seq, type, at, actor, data, prev_hash, hash)
       SELECT $1, u.seq, m.type, m.at, m.actor, m.data, u.prev, u.hash
         FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[]) AS u(id, seq, prev, hash) JOIN moved m ON m.id = u.id
       RETURNING 1)
     UPDATE audit_heads SET seq = $6::int, hash = $7, prev_hash = $8 WHERE chain = $1 RETURNING (SELECT count(*)::int FROM linked) AS linked`,
    [chain, ids, seqs, prevs, hashes, seq, hash, prevs[prevs.length - 1], ids[0], ids[ids.length - 1]]);
  // Every event read must have moved, or the head would run ahead of the chain: undo rather than break it.
  if (moved[0]?.linked !== pending.length) throw new Error(`audit chain ${chain}: linked ${moved[0]?.linked} of ${pending.length} queued events`);
  return pending.length;
}

/**
 * The background sealer links at most this many events per transaction, so
 * hashing a busy second's bids never holds the event loop for long.
 */
export const SEAL_CHUNK = 250;

/** The chains with queued events: a skip scan over the queue's (chain, id) index. */
const PENDING_CHAINS = `
  WITH RECURSIVE c AS (
    (SELECT chain FROM audit_pending ORDER BY chain LIMIT 1)
    UNION ALL
    SELECT (SELECT p.chain FROM audit_pending p WHERE p.chain > c.chain ORDER BY p.chain LIMIT 1) FROM c WHERE c.chain IS NOT NULL)
  SELECT chain FROM c WHERE chain IS NOT NULL`;

/** Seals every chain with queued events, a chunk per transaction (the background sealer calls this). */
export async function sealAll(db: Db): Promise<number> {
  const chains = await db.query<{ chain: string }>(PENDING_CHAINS);
  let n = 0;
  for (const { chain } of chains) {
    for (;;) {
      const linked = await db.transaction((tx) => sealChain(tx, chain, SEAL_CHUNK));
      n += linked;
      if (linked < SEAL_CHUNK) break;
    }
  }
  return n;
}

interface EventRow { seq: number; type: string; at: string; actor: string; data: unknown; prev_hash: string; hash: string }
const toEvent = (r: EventRow): StoredEvent => ({
  seq: r.seq, type: r.type, at: r.at, actor: r.actor, data: r.data, prevHash: r.prev_hash, hash: r.hash,
});

/** Events of a chain after `afterSeq` and up to `upTo`, in order. */
export async function listEvents(db: Queryable, chain: string, afterSeq: number, limit: number, upTo = WHOLE_CHAIN): Promise<StoredEvent[]> {
  const rows = await db.query<EventRow>(
    `SELECT seq, type, at, actor, data, prev_hash, hash FROM audit_events
      WHERE chain = $1 AND seq > $2 AND seq <= $4 ORDER BY seq LIMIT $3`, [chain, afterSeq, limit, upTo]);
  return rows.map(toEvent);
}

export interface ChainReport { chain: string; ok: boolean; events: number; head: string; brokenAt?: { seq: number; reason: string } }

/** Recomputes a chain page by page (memory stays flat) and checks it ends at the recorded head. */
export async function verifyChain(db: Queryable, chain: string, upTo = WHOLE_CHAIN): Promise<ChainReport> {
  let prev = GENESIS;
  let expectSeq = 1;
  let count = 0;
  const fail = (seq: number, reason: string): ChainReport => ({ chain, ok: false, events: count, head: prev, brokenAt: { seq, reason } });
  for (;;) {
    const page = await listEvents(db, chain, expectSeq - 1, 5000, upTo);
    for (const e of page) {
      if (e.seq !== expectSeq) return fail(expectSeq, 'event missing');
      if (e.prevHash !== prev) return fail(e.seq, 'prevHash does not match the previous event');
      if (chainHash(prev, e) !== e.hash) return fail(e.seq, 'hash does not match the event');
      prev = e.hash; expectSeq++; count++;
    }
    if (page.length < 5000) break;
  }
  // A prefix (the part of a sealed round a reader may see) ends where the reader's view ends.
  if (upTo !== WHOLE_CHAIN) return { chain, ok: true, events: count, head: prev };
  const head = await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_heads WHERE chain = $1', [chain]);
  const headSeq = head[0]?.seq ?? 0;
  if (headSeq !== count || (head[0] && head[0].hash !== prev)) return fail(count + 1, 'chain is shorter than its recorded head');
  return { chain, ok: true, events: count, head: prev };
}

/**
 * The first bid event of a chain: one probe of the partial index
 * audit_events_bid_seq_idx (migration 0005), so reading a sealed round's
 * prefix costs the same whatever the number of bid events after it.
 */
export const FIRST_BID_EVENT = `SELECT seq FROM audit_events WHERE chain = $1 AND type LIKE 'bid.%' ORDER BY seq LIMIT 1`;

/**
 * Before opening the alliance must not learn how many bids there are (or who
 * bid), so it reads the round's chain only up to its first bid event: a
 * prefix of a hash chain still verifies. That holds in every state before
 * opening, a round cancelled in bidding included (isSealed): its bidders are
 * never revealed to anyone but the operator, who reads the chain whole.
 */
async function visibleLimit(db: Queryable, p: Principal, r: RoundRow): Promise<number> {
  if (p.role === 'operator' || !isSealed(phaseOf(r))) return WHOLE_CHAIN;
  // Without a bid event yet, up to the head as it is now, in the same snapshot: a bid event linked
  // by the background sealer while this read goes on lies after it.
  const [v] = await db.query<{ upto: number | null }>(
    `SELECT COALESCE((${FIRST_BID_EVENT}) - 1, (SELECT seq FROM audit_heads WHERE chain = $1), 0) AS upto`, [r.id]);
  return Number(v.upto);
}

/** A page of a round's chain, as far as the caller may read it. */
export async function readRoundAudit(db: Db, p: Principal, r: RoundRow, q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? 100;
  const after = Number(decodeCursor(q.cursor, 1)?.[0] ?? 0);
  await db.transaction((tx) => sealChain(tx, r.id));
  const rows = await listEvents(db, r.id, after, limit + 1, await visibleLimit(db, p, r));
  return toPage(rows, limit, (e) => [e.seq], (e) => e);
}

/** Verifies one round's chain, or every chain the caller may read (the operator: the platform chain and every round). */
export async function verifyAudit(db: Db, p: Principal, roundId: string | undefined) {
  let chains: string[];
  if (roundId) chains = [(await visibleRound(db, p, roundId)).id];
  else if (p.role === 'operator') {
    chains = [PLATFORM_CHAIN, ...(await db.query<{ id: string }>('SELECT id FROM rounds ORDER BY id')).map((r) => r.id)];
  } else {
    chains = (await db.query<{ id: string }>('SELECT id FROM rounds WHERE alliance_id = $1 ORDER BY id', [p.orgId])).map((r) => r.id);
  }
  const reports: ChainReport[] = [];
  for (const chain of chains) {
    await db.transaction((tx) => sealChain(tx, chain));
    const r = chain === PLATFORM_CHAIN ? null : await visibleRound(db, p, chain).catch(() => null);
    if (chain !== PLATFORM_CHAIN && !r) throw notFound('Round');
    reports.push(await verifyChain(db, chain, r ? await visibleLimit(db, p, r) : WHOLE_CHAIN));
  }
  const broken = reports.find((x) => !x.ok);
  return {
    ok: !broken,
    events: reports.reduce((n, x) => n + x.events, 0),
    head: reports.length === 1 ? reports[0].head : null,
    ...(broken ? { brokenAt: { chain: broken.chain, ...broken.brokenAt! } } : {}),
    chains: reports.map((x) => ({ chain: x.chain, ok: x.ok, events: x.events, head: x.head })),
  };
}

import type { Db } from '../db/client.js';

/** One accepted-so-far bid, sealed and digested, waiting for its write. */
export interface BidWrite {
  roundId: string;
  itemCode: string;
  manufacturerId: string;
  productId: string;
  sealed: string;
  digest: string;
  /** The version this write creates; the stored bid must be at version - 1. */
  version: number;
  /** The server clock's reading for this bid, checked against the window by the write. */
  at: Date;
}

/**
 * At most this many bids go in one statement; more wait for the next one. At
 * 64 concurrent bidders, 8 to 256 measured alike within this machine's noise;
 * smaller statements let PostgreSQL work on several at once.
 */
export const MAX_BATCH = 32;

/**
 * The bids of one round, its state and window re-checked per bid, written with
 * their audit events by one statement (so one implicit transaction): it holds
 * the round FOR KEY SHARE while the round is still bidding, so an opening
 * (which locks the round FOR UPDATE) waits for it, and a statement that waited
 * for an opening re-reads the round and finds it opened. A bid is written only
 * if its clock reading is inside the window and its stored version is the one
 * it expects (none for version 1). The events carry the digest, never the price.
 */
const WRITE_BIDS = `
  WITH r AS (
    SELECT id, bid_opens_at, bid_closes_at FROM rounds WHERE id = $1 AND state = 'bidding' FOR KEY SHARE),
  input AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[])
      WITH ORDINALITY AS t(item_code, manufacturer_id, product_id, sealed, digest, version, at, ord)),
  b AS (
    INSERT INTO bids AS b (round_id, item_code, manufacturer_id, product_id, sealed, digest, version, submission_seq, submitted_at, withdrawn)
    SELECT r.id, i.item_code, i.manufacturer_id, i.product_id, i.sealed, i.digest, i.version, nextval('bid_submission_seq'), i.at::timestamptz, false
      FROM input i JOIN r ON r.bid_opens_at <= i.at::timestamptz AND r.bid_closes_at > i.at::timestamptz
     WHERE i.version = 1 OR EXISTS (
       SELECT 1 FROM bids x WHERE x.round_id = r.id AND x.item_code = i.item_code AND x.manufacturer_id = i.manufacturer_id)
     ORDER BY i.ord
    ON CONFLICT (round_id, item_code, manufacturer_id) DO UPDATE SET product_id = EXCLUDED.product_id,
      sealed = EXCLUDED.sealed, digest = EXCLUDED.digest, version = EXCLUDED.version,
      submission_seq = EXCLUDED.submission_seq, submitted_at = EXCLUDED.submitted_at, withdrawn = false
    WHERE b.version = EXCLUDED.version - 1
    RETURNING b.item_code, b.manufacturer_id, b.version, b.digest),
  e AS (
    INSERT INTO audit_pending (chain, type, at, actor, data)
    SELECT $1, CASE WHEN b.version = 1 THEN 'bid.submitted' ELSE 'bid.replaced' END,
           i.at, b.manufacturer_id,
           jsonb_build_object('itemCode', b.item_code, 'manufacturerId', b.manufacturer_id, 'version', b.version, 'digest', b.digest)
      FROM b JOIN input i ON i.item_code = b.item_code AND i.manufacturer_id = b.manufacturer_id
     ORDER BY i.ord)
  SELECT item_code, manufacturer_id FROM b`;

interface Waiting { bid: BidWrite; key: string; done: (written: boolean) => void; fail: (err: unknown) => void }

/**
 * Group commit for sealed bids. Bids that arrive while the event loop is busy
 * are written together by one statement per round at the next turn of the
 * loop: one round trip, one commit and one lock of the round for many bids,
 * instead of one each. Every bid still answers only after its own row is
 * committed, and each is judged on its own (window, version). A batch never
 * holds two writes of the same bid; the later one waits for the next batch.
 * If a batch fails as a whole, its bids are retried one by one so that one
 * bad bid cannot fail the others.
 */
export class BidWriter {
  private readonly waiting = new Map<string, Waiting[]>();
  private scheduled = false;
  private inFlight = new Set<Promise<void>>();

  constructor(private readonly db: Db) {}

  /** Resolves true when the bid is committed, false when the round, window or version refused it. */
  write(bid: BidWrite): Promise<boolean> {
    return new Promise((done, fail) => {
      let queue = this.waiting.get(bid.roundId);
      if (!queue) this.waiting.set(bid.roundId, (queue = []));
      queue.push({ bid, key: `${bid.itemCode}\u0000${bid.manufacturerId}`, done, fail });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    for (const [roundId, queue] of this.waiting) {
      const batch: Waiting[] = [];
      const later: Waiting[] = [];
      const keys = new Set<string>();
      for (const w of queue) {
        if (batch.length < MAX_BATCH && !keys.has(w.key)) { keys.add(w.key); batch.push(w); } else later.push(w);
      }
      if (later.length) this.waiting.set(roundId, later); else this.waiting.delete(roundId);
      const sent = this.send(roundId, batch, true).finally(() => this.inFlight.delete(sent));
      this.inFlight.add(sent);
    }
    if (this.waiting.size && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Resolves once every bid handed to the writer so far has its answer (a shutdown waits for this). */
  async settled(): Promise<void> {
    while (this.waiting.size || this.inFlight.size) {
      if (this.inFlight.size) await Promise.all(this.inFlight);
      else await new Promise((r) => setImmediate(r));
    }
  }

  private async send(roundId: string, batch: Waiting[], mayRetrySingly: boolean): Promise<void> {
    let rows: { item_code: string; manufacturer_id: string }[];
    try {
      const b = batch.map((w) => w.bid);
      rows = await this.db.query<{ item_code: string; manufacturer_id: string }>(WRITE_BIDS, [roundId, b.map((x) => x.itemCode), b.map((x) => x.manufacturerId),
        b.map((x) => x.productId), b.map((x) => x.sealed), b.map((x) => x.digest), b.map((x) => x.version), b.map((x) => x.at.toISOString())]);
    } catch (err) {
      if (mayRetrySingly && batch.length > 1) {
        await Promise.all(batch.map((w) => this.send(roundId, [w], false)));
      } else {
        for (const w of batch) w.fail(err);
      }
      return;
    }
    const written = new Set(rows.map((r) => `${r.item_code}\u0000${r.manufacturer_id}`));
    for (const w of batch) w.done(written.has(w.key));
  }
}

const writers = new WeakMap<Db, BidWriter>();

/** The process's writer for a database. */
export function bidWriter(db: Db): BidWriter {
  let w = writers.get(db);
  if (!w) writers.set(db, (w = new BidWriter(db)));
  return w;
}


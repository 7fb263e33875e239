import type { AppContext } from '../context.js';
import type { Queryable } from '../db/client.js';
import { strengthOf } from '../catalogue/mapper.js';
import { openBid } from '../bids/crypto.js';
import { unsealRoundKey } from '../bids/custody.js';
import { receiptDigest } from '../bids/receipt.js';
import { notFound, Problem } from '../http/problem.js';
import { evaluateItem, type BidForEvaluation, type ItemResult } from '../rules/selection.js';
import { guardOpening } from '../rounds/lifecycle.js';
import { itemForEvaluation, type ItemRow, type RoundRow } from '../rounds/mapper.js';
import { applyTransition, loadItems, loadRound, phaseOf } from '../rounds/service.js';

const full = (d: { toFixed(): string } | null) => (d === null ? null : d.toFixed());

/** A bid as stored, with what eligibility needs of its product and manufacturer. */
interface SealedBidRow {
  item_code: string; manufacturer_id: string; product_id: string; sealed: string; digest: string; version: number; seq: string;
  pack_size: number; strength_value: string | null; strength_unit: string | null; verified: boolean; quality_tier: string; suspended: boolean;
}
/** A decrypted bid, ready for evaluation, with its receipt revealed. */
export type OpenedBid = BidForEvaluation & { itemCode: string; salt: string; digest: string };

const integrityFailure = (detail: string) => new Problem(409, 'integrity-failure', 'Bid integrity failure', detail);

/**
 * The round's private key, unsealed with the opening private key: only a
 * process that holds it (the worker, or the embedded process) gets past here.
 */
export function roundKeyOf(ctx: AppContext, r: Pick<RoundRow, 'id' | 'wrappedRoundKey' | 'roundKeySealedTo'>) {
  const opening = ctx.config.openingPrivateKey;
  if (!opening) throw new Error('This process holds no opening private key: rounds are opened by the worker (SECURITY.md)');
  if (r.roundKeySealedTo !== ctx.config.openingKey.id) {
    throw new Error(`The key of round ${r.id} is sealed to opening key ${r.roundKeySealedTo ?? '(legacy JICAI_BID_KEK)'}, not ${ctx.config.openingKey.id}: run scripts/rotate-opening-key.ts`);
  }
  return unsealRoundKey(opening, r.wrappedRoundKey, r.id);
}

/** Decrypts every live bid with the round key and checks it against its receipt digest. */
async function decryptBids(ctx: AppContext, tx: Queryable, r: RoundRow): Promise<OpenedBid[]> {
  const rows = await tx.query<SealedBidRow>(
    `SELECT b.item_code, b.manufacturer_id, b.product_id, b.sealed, b.digest, b.version, b.submission_seq::text AS seq,
            p.pack_size, p.strength_value::text AS strength_value, p.strength_unit, p.verified, p.quality_tier,
            EXISTS (SELECT 1 FROM suspensions s WHERE s.organization_id = b.manufacturer_id
                      AND s."from" <= $2 AND (s.until IS NULL OR s.until > $2)) AS suspended
       FROM bids b JOIN products p ON p.id = b.product_id
      WHERE b.round_id = $1 AND NOT b.withdrawn ORDER BY b.item_code, b.submission_seq`, [r.id, r.bidClosesAt]);
  const key = roundKeyOf(ctx, r);
  const derived = new Map<string, Buffer>();
  return rows.map((b) => {
    const where = { roundId: r.id, itemCode: b.item_code, manufacturerId: b.manufacturer_id, version: b.version };
    let content;
    try { content = openBid(key, where, b.sealed, derived); } catch {
      throw integrityFailure(`The sealed bid of ${b.manufacturer_id} for ${b.item_code} does not decrypt`);
    }
    if (receiptDigest({ ...where, productId: b.product_id, packagePrice: content.packagePrice, salt: content.salt }) !== b.digest) {
      throw integrityFailure(`The bid of ${b.manufacturer_id} for ${b.item_code} does not match its receipt digest`);
    }
    return {
      itemCode: b.item_code, manufacturerId: b.manufacturer_id, productId: b.product_id, packagePrice: content.packagePrice,
      packSize: b.pack_size, strength: strengthOf(b.strength_value, b.strength_unit),
      productVerified: b.verified, qualityTier: b.quality_tier, manufacturerSuspended: b.suspended, submissionSeq: b.seq,
      salt: content.salt, digest: b.digest,
    };
  });
}

/** Evaluates every item of the round over its opened bids with the round's rules (pure rules, no I/O). */
export function evaluateRound(r: Pick<RoundRow, 'rules'>, items: readonly ItemRow[], bids: readonly OpenedBid[]): ItemResult[] {
  return items.map((i) => evaluateItem(itemForEvaluation(i), bids.filter((b) => b.itemCode === i.code), r.rules));
}

/** Stores the evaluated items and bids (item_results, bid_results) with each bid's revealed salt. */
export async function storeResults(tx: Queryable, roundId: string, r: RoundRow, results: ItemResult[], bids: readonly OpenedBid[]) {
  const demand = new Map((await tx.query<{ code: string; total: string }>(
    `SELECT i.code, t.quantity::text AS total FROM demand_totals t JOIN items i ON i.round_id = $2 AND i.no = t.item_no
      WHERE t.round_no = $1`, [r.no, roundId])).map((d) => [d.code, d.total]));
  await tx.query(
    `INSERT INTO item_results (round_id, item_code, outcome, eligible_bidders, lowest, anchor, max_winners, agreed_volume_ratio, total_demand, price_drop)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::numeric[], $6::numeric[], $7::int[], $8::numeric[], $9::bigint[], $10::numeric[])`,
    [roundId, results.map((x) => x.itemCode), results.map((x) => x.outcome), results.map((x) => x.eligibleBidders),
      results.map((x) => full(x.lowest)), results.map((x) => full(x.anchor)), results.map((x) => x.maxWinners),
      results.map((x) => full(x.agreedVolumeRatio)), results.map((x) => demand.get(x.itemCode) ?? '0'),
      results.map((x) => full(x.priceDrop))]);
  const revealed = new Map(bids.map((b) => [`${b.itemCode}\u0000${b.manufacturerId}`, b]));
  const flat = results.flatMap((x) => x.bids.map((b) => ({ itemCode: x.itemCode, b, s: revealed.get(`${x.itemCode}\u0000${b.manufacturerId}`)! })));
  await tx.query(
    `INSERT INTO bid_results (round_id, item_code, manufacturer_id, product_id, package_price, unit_price, comparable_unit_price,
       eligible, reason, candidate_by, rank, winner, salt, digest, submission_seq)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[], $8::bool[],
       $9::text[], $10::text[], $11::int[], $12::bool[], $13::text[], $14::text[], $15::bigint[])`,
    [roundId, flat.map((f) => f.itemCode), flat.map((f) => f.b.manufacturerId), flat.map((f) => f.b.productId),
      flat.map((f) => f.b.packagePrice.toFixed()), flat.map((f) => f.b.unitPrice.toFixed()), flat.map((f) => f.b.comparableUnitPrice.toFixed()),
      flat.map((f) => f.b.eligible), flat.map((f) => f.b.reason), flat.map((f) => f.b.candidateBy), flat.map((f) => f.b.rank),
      flat.map((f) => f.b.winner), flat.map((f) => f.s.salt), flat.map((f) => f.s.digest), flat.map((f) => String(f.s.submissionSeq))]);
}

/**
 * bidding → opened at or after bidClosesAt: unwrap the round key, decrypt and
 * check every bid, evaluate every item with the round's rules, store results.
 * `actor` is the organization that asked (or the scheduler); who may ask is
 * checked by the caller.
 */
export async function openRound(ctx: AppContext, actor: string, roundId: string): Promise<RoundRow> {
  return ctx.db.transaction(async (tx) => {
    // FOR UPDATE waits for bid writes in flight (they hold the round FOR KEY SHARE).
    const r = await loadRound(tx, roundId, true);
    if (!r) throw notFound('Round');
    guardOpening({ ...phaseOf(r), bidClosesAt: r.bidClosesAt }, ctx.clock.now());
    const bids = await decryptBids(ctx, tx, r);
    const items = await loadItems(tx, roundId);
    const results = evaluateRound(r, items, bids);
    await storeResults(tx, roundId, r, results, bids);
    return applyTransition(ctx, tx, actor, r, 'open', {
      bids: bids.length, items: items.length, awardedItems: results.filter((x) => x.outcome === 'awarded').length,
    });
  });
}

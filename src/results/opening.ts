import type { AppContext, Principal } from '../context.js';
import type { Queryable } from '../db/client.js';
import { openBid, unwrapRoundKey } from '../bids/crypto.js';
import { receiptDigest } from '../bids/receipt.js';
import { conflict, Problem } from '../http/problem.js';
import { evaluateItem, type BidForEvaluation, type ItemResult } from '../rules/selection.js';
import { applyTransition, loadItems, requireOwnAlliance, requireState, visibleRound, type RoundRow } from '../rounds/service.js';

const full = (d: { toFixed(): string } | null) => (d === null ? null : d.toFixed());

/** Decrypts every live bid with the round key and checks it against its receipt digest. */
async function decryptBids(ctx: AppContext, tx: Queryable, r: RoundRow) {
  const rows = await tx.query<any>(
    `SELECT b.item_code, b.manufacturer_id, b.product_id, b.sealed, b.digest, b.version, b.submission_seq::text AS seq,
            p.pack_size, p.strength_value::text AS strength_value, p.strength_unit, p.verified, p.quality_tier,
            EXISTS (SELECT 1 FROM suspensions s WHERE s.organization_id = b.manufacturer_id
                      AND s."from" <= $2 AND (s.until IS NULL OR s.until > $2)) AS suspended
       FROM bids b JOIN products p ON p.id = b.product_id
      WHERE b.round_id = $1 AND NOT b.withdrawn ORDER BY b.item_code, b.submission_seq`, [r.id, r.bid_closes_at]);
  const key = unwrapRoundKey(ctx.config.bidKek, r.wrapped_round_key, r.id);
  const derived = new Map<string, Buffer>();
  return rows.map((b) => {
    const where = { roundId: r.id, itemCode: b.item_code, manufacturerId: b.manufacturer_id, version: b.version };
    let content;
    try { content = openBid(key, where, b.sealed, derived); } catch {
      throw new Problem(409, 'integrity-failure', 'Bid integrity failure', `The sealed bid of ${b.manufacturer_id} for ${b.item_code} does not decrypt`);
    }
    if (receiptDigest({ ...where, productId: b.product_id, packagePrice: content.packagePrice, salt: content.salt }) !== b.digest) {
      throw new Problem(409, 'integrity-failure', 'Bid integrity failure', `The bid of ${b.manufacturer_id} for ${b.item_code} does not match its receipt digest`);
    }
    const bid: BidForEvaluation & { itemCode: string; salt: string; digest: string } = {
      itemCode: b.item_code, manufacturerId: b.manufacturer_id, productId: b.product_id, packagePrice: content.packagePrice,
      packSize: b.pack_size, strength: b.strength_value === null ? null : { value: b.strength_value, unit: b.strength_unit },
      productVerified: b.verified, qualityTier: b.quality_tier, manufacturerSuspended: b.suspended, submissionSeq: b.seq,
      salt: content.salt, digest: b.digest,
    };
    return bid;
  });
}

/**
 * bidding → opened at or after bidClosesAt: unwrap the round key, decrypt and
 * check every bid, evaluate every item with the round's rules, store results.
 */
export async function openRound(ctx: AppContext, p: Principal, roundId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    // FOR UPDATE waits for bid writes in flight (they hold the round FOR KEY SHARE).
    const r = await visibleRound(tx, p, roundId, true);
    requireOwnAlliance(p, r);
    requireState(r, 'bidding');
    if (ctx.clock.now() < new Date(r.bid_closes_at)) {
      throw conflict('bidding-not-closed', 'Bidding not closed', `Bids can be opened from ${new Date(r.bid_closes_at).toISOString()}`);
    }
    const bids = await decryptBids(ctx, tx, r);
    const items = await loadItems(tx, roundId);
    const demand = new Map((await tx.query<{ item_code: string; total: string }>(
      'SELECT item_code, sum(quantity)::text AS total FROM demand WHERE round_id = $1 GROUP BY item_code', [roundId]))
      .map((d) => [d.item_code, d.total]));
    const results: { item: ItemResult; salts: Map<string, { salt: string; digest: string; seq: string }> }[] = items.map((i) => {
      const its = bids.filter((b) => b.itemCode === i.code);
      const item = evaluateItem({
        code: i.code, category: i.category,
        referenceStrength: i.reference_strength_value === null ? null : { value: i.reference_strength_value, unit: i.reference_strength_unit! },
        strengthPriceRatio: i.strength_price_ratio, maxUnitPrice: i.max_unit_price, baselineUnitPrice: i.baseline_unit_price,
        agreedVolumeRatio: i.agreed_volume_ratio, eligibleQualityTiers: i.eligible_quality_tiers,
      }, its, r.rules);
      return { item, salts: new Map(its.map((b) => [b.manufacturerId, { salt: b.salt, digest: b.digest, seq: String(b.submissionSeq) }])) };
    });
    await tx.query(
      `INSERT INTO item_results (round_id, item_code, outcome, eligible_bidders, lowest, anchor, max_winners, agreed_volume_ratio, total_demand, price_drop)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::numeric[], $6::numeric[], $7::int[], $8::numeric[], $9::bigint[], $10::numeric[])`,
      [roundId, results.map((x) => x.item.itemCode), results.map((x) => x.item.outcome), results.map((x) => x.item.eligibleBidders),
        results.map((x) => full(x.item.lowest)), results.map((x) => full(x.item.anchor)), results.map((x) => x.item.maxWinners),
        results.map((x) => full(x.item.agreedVolumeRatio)), results.map((x) => demand.get(x.item.itemCode) ?? '0'),
        results.map((x) => full(x.item.priceDrop))]);
    const flat = results.flatMap((x) => x.item.bids.map((b) => ({ itemCode: x.item.itemCode, b, s: x.salts.get(b.manufacturerId)! })));
    await tx.query(
      `INSERT INTO bid_results (round_id, item_code, manufacturer_id, product_id, package_price, unit_price, comparable_unit_price,
         eligible, reason, candidate_by, rank, winner, salt, digest, submission_seq)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[], $8::bool[],
         $9::text[], $10::text[], $11::int[], $12::bool[], $13::text[], $14::text[], $15::bigint[])`,
      [roundId, flat.map((f) => f.itemCode), flat.map((f) => f.b.manufacturerId), flat.map((f) => f.b.productId),
        flat.map((f) => f.b.packagePrice.toFixed()), flat.map((f) => f.b.unitPrice.toFixed()), flat.map((f) => f.b.comparableUnitPrice.toFixed()),
        flat.map((f) => f.b.eligible), flat.map((f) => f.b.reason), flat.map((f) => f.b.candidateBy), flat.map((f) => f.b.rank),
        flat.map((f) => f.b.winner), flat.map((f) => f.s.salt), flat.map((f) => f.s.digest), flat.map((f) => f.s.seq)]);
    await applyTransition(ctx, tx, p, r, 'open', {
      bids: bids.length, items: items.length, awardedItems: results.filter((x) => x.item.outcome === 'awarded').length,
    });
  });
}


import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import type { Queryable } from '../db/client.js';
import { appendEvent } from '../audit/service.js';
import { forbidden } from '../http/problem.js';
import { D, fmt4 } from '../rules/decimal.js';
import { weightedDrop } from '../rules/allocation.js';
import { roundDrops, type CandidateBy, type IneligibleReason, type Outcome } from '../rules/selection.js';
import { guardPreferences, guardResults, isAwarded } from '../rounds/lifecycle.js';
import type { RoundRow } from '../rounds/mapper.js';
import { phaseOf, visibleRound } from '../rounds/service.js';
import type { Results } from './schemas.js';

const f4 = (v: string | null) => (v === null ? null : fmt4(new D(v)));

/** The round's weightedDrop (DOMAIN.md) from the per-winner totals fixed at award. */
export async function weightedDropOf(db: Queryable, roundId: string): Promise<string | null> {
  const sums = await db.query<{ amount: string; baseline_amount: string }>(
    'SELECT amount::text AS amount, baseline_amount::text AS baseline_amount FROM award_totals WHERE round_id = $1', [roundId]);
  return fmt4(weightedDrop(sums.map((s) => ({ amount: new D(s.amount), baselineAmount: new D(s.baseline_amount) }))));
}

interface ItemResultRow {
  item_code: string; outcome: Outcome; eligible_bidders: number; lowest: string | null; anchor: string | null; max_winners: number | null;
  ratio: string | null; total_demand: string; price_drop: string | null;
}
interface BidResultRow {
  item_code: string; manufacturer_id: string; product_id: string; package_price: string; unit_price: string; comparable: string;
  eligible: boolean; reason: IneligibleReason | null; candidate_by: CandidateBy | null; rank: number | null; winner: boolean;
}

export async function getResults(db: Queryable, r: RoundRow): Promise<Results> {
  guardResults(phaseOf(r));
  const items = await db.query<ItemResultRow>(
    `SELECT item_code, outcome, eligible_bidders, lowest::text AS lowest, anchor::text AS anchor, max_winners,
            agreed_volume_ratio::text AS ratio, total_demand::text AS total_demand, price_drop::text AS price_drop
       FROM item_results WHERE round_id = $1 ORDER BY item_code`, [r.id]);
  const bids = await db.query<BidResultRow>(
    `SELECT item_code, manufacturer_id, product_id, package_price::text AS package_price, unit_price::text AS unit_price,
            comparable_unit_price::text AS comparable, eligible, reason, candidate_by, rank, winner
       FROM bid_results WHERE round_id = $1
      ORDER BY item_code, rank NULLS LAST, comparable_unit_price, submission_seq`, [r.id]);
  const byItem = new Map<string, Results['items'][number]['bids']>();
  for (const b of bids) {
    const list = byItem.get(b.item_code) ?? [];
    list.push({
      manufacturerId: b.manufacturer_id, productId: b.product_id, packagePrice: fmt4(new D(b.package_price))!, unitPrice: fmt4(new D(b.unit_price))!,
      comparableUnitPrice: fmt4(new D(b.comparable))!, eligible: b.eligible, reason: b.reason, candidateBy: b.candidate_by, rank: b.rank, winner: b.winner,
    });
    byItem.set(b.item_code, list);
  }
  const { averageDrop } = roundDrops(items.map((i) => ({ outcome: i.outcome, priceDrop: i.price_drop === null ? null : new D(i.price_drop) })));
  return {
    round: {
      items: items.length,
      awardedItems: items.filter((i) => i.outcome === 'awarded').length,
      averageDrop: fmt4(averageDrop),
      weightedDrop: isAwarded(phaseOf(r)) ? await weightedDropOf(db, r.id) : null,
    },
    items: items.map((i) => ({
      itemCode: i.item_code, outcome: i.outcome, eligibleBidders: i.eligible_bidders, lowest: f4(i.lowest), anchor: f4(i.anchor),
      maxWinners: i.max_winners, agreedVolumeRatio: f4(i.ratio), totalDemand: Number(i.total_demand), priceDrop: f4(i.price_drop),
      bids: byItem.get(i.item_code) ?? [],
    })),
  };
}

/** A winning manufacturer names the units it would rather supply, between opening and award. */
export async function putPreference(ctx: AppContext, p: Principal, roundId: string, itemCode: string, regionCodes: string[]) {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId, true);
    guardPreferences(r);
    const won = await tx.query<{ one: number }>('SELECT 1 AS one FROM bid_results WHERE round_id = $1 AND item_code = $2 AND manufacturer_id = $3 AND winner',
      [roundId, itemCode, p.orgId]);
    if (!won.length) throw forbidden('Only a winner of this item states region preferences');
    const codes = [...new Set(regionCodes)];
    await tx.query(
      `INSERT INTO region_preferences (round_id, item_code, manufacturer_id, region_codes) VALUES ($1, $2, $3, $4)
       ON CONFLICT (round_id, item_code, manufacturer_id) DO UPDATE SET region_codes = EXCLUDED.region_codes`,
      [roundId, itemCode, p.orgId, codes]);
    await appendEvent(tx, roundId, { type: 'preference.set', actor: actorOf(p), at: ctx.clock.now(), data: { itemCode, manufacturerId: p.orgId, regionCodes: codes } });
    return { itemCode, manufacturerId: p.orgId!, regionCodes: codes };
  });
}

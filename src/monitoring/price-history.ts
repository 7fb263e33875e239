/**
 * GET /v1/price-history (DOMAIN.md "Price tracking across rounds"): every awarded or closed round
 * holding an item of a generic name and dosage form (trimmed, case-insensitive), earliest award
 * first, with its winners, and the monthly paid prices of the agreements' own products from the
 * monitoring rollups. One statement.
 */
import type { Queryable } from '../db/client.js';
import { D, fmt4, mean } from '../rules/decimal.js';
import { periodText, ratio4 } from '../rules/monitoring.js';

export interface PriceHistory {
  genericName: string; dosageForm: string;
  rounds: {
    roundId: string; roundName: string; itemCode: string; awardedAt: string | null; baselineUnitPrice: string;
    averageWinningPrice: string | null; priceDrop: string | null; winners: { manufacturerId: string; comparableUnitPrice: string }[];
  }[];
  months: { roundId: string; itemCode: string; period: string; used: number; amount: string; paidUnitPrice: string | null }[];
}

interface Row {
  round_id: string; round_name: string; item_code: string; awarded_at: Date | null; baseline: string; price_drop: string | null;
  winners: { m: string; c: string }[]; months: { p: number; u: string; a: string }[];
}

export async function priceHistory(db: Queryable, genericName: string, dosageForm: string): Promise<PriceHistory> {
  const rows = await db.query<Row>(
    `SELECT r.id AS round_id, r.name AS round_name, i.code AS item_code, r.awarded_at, i.baseline_unit_price::text AS baseline,
            ir.price_drop::text AS price_drop,
            (SELECT coalesce(json_agg(json_build_object('m', b.manufacturer_id, 'c', b.comparable_unit_price::text) ORDER BY b.rank), '[]'::json)
               FROM bid_results b WHERE b.round_id = r.id AND b.item_code = i.code AND b.winner) AS winners,
            (SELECT coalesce(json_agg(json_build_object('p', g.period, 'u', g.used::text, 'a', g.amount::text) ORDER BY g.period), '[]'::json)
               FROM (SELECT period, sum(used) AS used, sum(amount) AS amount FROM monitoring_groups
                      WHERE round_no = r.no AND item_no = i.no GROUP BY period) g) AS months
       FROM items i JOIN rounds r ON r.id = i.round_id
       LEFT JOIN item_results ir ON ir.round_id = i.round_id AND ir.item_code = i.code
      WHERE r.state IN ('awarded', 'closed')
        AND lower(btrim(i.generic_name)) = lower(btrim($1)) AND lower(btrim(i.dosage_form)) = lower(btrim($2))
      ORDER BY r.awarded_at, r.id, i.code`, [genericName, dosageForm]);
  const parse = <T>(v: T | string): T => (typeof v === 'string' ? JSON.parse(v) as T : v);
  const out: PriceHistory = { genericName: genericName.trim(), dosageForm: dosageForm.trim(), rounds: [], months: [] };
  for (const r of rows) {
    const winners = parse(r.winners);
    out.rounds.push({
      roundId: r.round_id, roundName: r.round_name, itemCode: r.item_code, awardedAt: r.awarded_at ? r.awarded_at.toISOString() : null,
      baselineUnitPrice: fmt4(new D(r.baseline))!,
      averageWinningPrice: fmt4(mean(winners.map((w) => new D(w.c)))),
      priceDrop: winners.length && r.price_drop !== null ? fmt4(new D(r.price_drop)) : null,
      winners: winners.map((w) => ({ manufacturerId: w.m, comparableUnitPrice: fmt4(new D(w.c))! })),
    });
    for (const m of parse(r.months)) {
      out.months.push({ roundId: r.round_id, itemCode: r.item_code, period: periodText(m.p), used: Number(m.u), amount: fmt4(new D(m.a))!, paidUnitPrice: ratio4(m.a, m.u) });
    }
  }
  return out;
}

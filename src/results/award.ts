/**
 * opened → awarded (DOMAIN.md "Supply regions and agreed volumes"), in four
 * steps: stage (one pass over the round's demand, grouped by item, supply
 * unit and preferred manufacturer), allocate (the pure rule, per item),
 * allocations (the supply units and the winners, frozen by integer keys) and
 * totals (per item and winner). Per-hospital agreements are then a view.
 */
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/client.js';
import { allocateUnits } from '../rules/allocation.js';
import type { RoundRow } from '../rounds/mapper.js';
import { applyTransition, loadRound } from '../rounds/service.js';
import { guardTransition } from '../rounds/lifecycle.js';
import { notFound } from '../http/problem.js';
import { byItemNo } from '../rounds/members.js';
import { demandUnitSql, unitCode, unitOfCode, type RegionLevel } from './units.js';

/**
 * round(quantity × ratio), half up, as SQL over integers where it can be: with every ratio of `k` ≤ 9
 * places, R = ratio × 10^k is an integer and round(q × ratio) = (2qR + 10^k) div (2 × 10^k) exactly
 * (q ≤ 1,000,000,000, so 2qR < 2 × 10^18 fits a bigint); numeric arithmetic per demand row costs about
 * as much as the rest of the pass. Other ratios: numeric. `$2` is the array of the items' ratios (or
 * their integers R), indexed by item number. The twin of src/rules/allocation.ts agreedQuantity.
 */
export function agreedSql(ratios: readonly (string | null)[], q: string): { sql: string; array: (string | null)[]; type: 'numeric' | 'bigint' } {
  const places = Math.max(0, ...ratios.map((r) => (r === null ? 0 : (r.split('.')[1] ?? '').length)));
  if (places > 9) return { sql: `round(${q} * ($2::numeric[])[d.item_no])`, array: [...ratios], type: 'numeric' };
  const scale = 10n ** BigInt(places);
  const array = ratios.map((r) => {
    if (r === null) return null;
    const [whole, frac = ''] = r.split('.');
    return (BigInt(whole) * scale + BigInt(frac.padEnd(places, '0') || '0')).toString();
  });
  return { sql: `(${q}::bigint * ($2::bigint[])[d.item_no] * 2 + ${scale}) / ${2n * scale}`, array, type: 'bigint' };
}

/**
 * Step 1: the round's demand of awarded items by (item, unit, preferred
 * manufacturer), into award_demand: one pass over demand alone (each line
 * carries its hospital's city, so no join); each item's agreed volume ratio
 * comes as an array indexed by item number, so the plan does not depend on
 * the small tables' statistics.
 */
async function stage(tx: Queryable, r: RoundRow): Promise<void> {
  const awarded = await tx.query<{ no: number; ratio: string }>(
    `SELECT i.no, ir.agreed_volume_ratio::text AS ratio FROM item_results ir JOIN items i ON i.round_id = ir.round_id AND i.code = ir.item_code
      WHERE ir.round_id = $1 AND ir.outcome = 'awarded'`, [r.id]);
  const agreed = agreedSql(byItemNo(awarded.map((a) => ({ no: a.no, value: a.ratio }))), 'd.quantity');
  // Hash aggregation keeps it one pass (a sort of millions of rows costs more than the scan); JIT compiling costs more than it saves.
  await tx.query(`SET LOCAL work_mem = '256MB'`);
  await tx.query('SET LOCAL enable_sort = off');
  await tx.query('SET LOCAL jit = off');
  // Parallel workers share the scan and the partial aggregates (with integer ratios, 1.7 s → 0.5 s at national scale on 2 cores): the planner,
  // which expects hundreds of thousands of groups where there are a few thousand, would not start them on its costs.
  await tx.query('SET LOCAL parallel_setup_cost = 0');
  await tx.query('SET LOCAL parallel_tuple_cost = 0');
  await tx.query(`CREATE TEMP TABLE award_demand ON COMMIT DROP AS
    SELECT d.item_no, ${demandUnitSql('d', r.rules.regionLevel)} AS unit, d.preferred_no, count(*)::int AS hospitals,
           sum(d.quantity) AS demand, sum(${agreed.sql}) AS agreed
      FROM demand d
     WHERE d.round_no = $1 AND ($2::${agreed.type}[])[d.item_no] IS NOT NULL
     GROUP BY 1, 2, 3`, [r.no, agreed.array]);
  await tx.query('SET LOCAL enable_sort = on');
  await tx.query('SET LOCAL parallel_setup_cost TO DEFAULT');
  await tx.query('SET LOCAL parallel_tuple_cost TO DEFAULT');
}

interface Winner { item_no: number; code: string; manufacturer_no: number; product_no: number; rank: number; region_codes: string[] | null }
interface Allocation { itemNo: number; unit: number; manufacturerNo: number; productNo: number }

/** Step 2: supply units per item by the pure allocation rule (rank-order rounds, preferences, then the largest free unit). */
async function allocate(tx: Queryable, r: RoundRow): Promise<{ allocations: Allocation[]; winners: Winner[] }> {
  const level: RegionLevel = r.rules.regionLevel;
  const units = await tx.query<{ item_no: number; unit: number; demand: string }>(
    'SELECT item_no, unit, sum(demand)::text AS demand FROM award_demand GROUP BY 1, 2');
  const winners = await tx.query<Winner>(
    `SELECT i.no AS item_no, i.code, m.no AS manufacturer_no, p.no AS product_no, b.rank, rp.region_codes
       FROM bid_results b
       JOIN items i ON i.round_id = b.round_id AND i.code = b.item_code
       JOIN organizations m ON m.id = b.manufacturer_id
       JOIN products p ON p.id = b.product_id
       LEFT JOIN region_preferences rp ON rp.round_id = b.round_id AND rp.item_code = b.item_code AND rp.manufacturer_id = b.manufacturer_id
      WHERE b.round_id = $1 AND b.winner ORDER BY i.no, b.rank`, [r.id]);
  const allocations: Allocation[] = [];
  for (const itemNo of new Set(units.map((u) => u.item_no))) {
    const ws = winners.filter((w) => w.item_no === itemNo);
    const product = new Map(ws.map((w) => [String(w.manufacturer_no), w.product_no]));
    const map = allocateUnits(
      units.filter((u) => u.item_no === itemNo).map((u) => ({ code: unitCode(u.unit, level), demand: BigInt(u.demand) })),
      ws.map((w) => ({ manufacturerId: String(w.manufacturer_no), rank: w.rank, preferences: w.region_codes ?? [] })));
    for (const [code, m] of map) allocations.push({ itemNo, unit: unitOfCode(code, level), manufacturerNo: Number(m), productNo: product.get(m)! });
  }
  return { allocations, winners };
}

/** Step 3: the allocations and the winners (with their ratio and prices) by integer keys: what the agreements view joins. */
async function freeze(tx: Queryable, r: RoundRow, allocations: Allocation[]): Promise<void> {
  await tx.query(
    `INSERT INTO allocations (round_no, item_no, unit, manufacturer_no, product_no)
     SELECT $1, * FROM unnest($2::smallint[], $3::smallint[], $4::int[], $5::int[])`,
    [r.no, allocations.map((a) => a.itemNo), allocations.map((a) => a.unit), allocations.map((a) => a.manufacturerNo), allocations.map((a) => a.productNo)]);
  await tx.query(
    `INSERT INTO award_winners (round_no, manufacturer_no, product_no, item_no, rank, agreed_volume_ratio, unit_price, comparable_unit_price)
     SELECT $1, m.no, p.no, i.no, b.rank, ir.agreed_volume_ratio, b.unit_price, b.comparable_unit_price
       FROM bid_results b
       JOIN item_results ir ON ir.round_id = b.round_id AND ir.item_code = b.item_code AND ir.outcome = 'awarded'
       JOIN items i ON i.round_id = b.round_id AND i.code = b.item_code
       JOIN organizations m ON m.id = b.manufacturer_id
       JOIN products p ON p.id = b.product_id
      WHERE b.round_id = $2 AND b.winner`, [r.no, r.id]);
  // Fresh statistics for the small tables every agreement read joins (autovacuum may be off, or late).
  await tx.query('ANALYZE allocations');
  await tx.query('ANALYZE award_winners');
}

/**
 * Step 4: totals per item and winner: a hospital that named a winning
 * manufacturer is supplied by it, every other one by its unit's winner (the
 * same rule as the agreements view). Returns the number of agreements.
 */
async function totals(tx: Queryable, r: RoundRow): Promise<number> {
  const [{ n }] = await tx.query<{ n: number }>(
    `WITH x AS (
       SELECT ad.item_no, coalesce(pw.manufacturer_no, a.manufacturer_no) AS manufacturer_no, ad.hospitals, ad.agreed
         FROM award_demand ad
         JOIN allocations a ON a.round_no = $1 AND a.item_no = ad.item_no AND a.unit = ad.unit
         LEFT JOIN award_winners pw ON pw.round_no = $1 AND pw.item_no = ad.item_no AND pw.manufacturer_no = ad.preferred_no),
     ins AS (
       INSERT INTO award_totals (round_id, item_code, manufacturer_id, hospitals, agreed_quantity, amount, baseline_amount)
       SELECT $2, i.code, m.id, sum(x.hospitals), sum(x.agreed), sum(x.agreed) * w.comparable_unit_price, sum(x.agreed) * i.baseline_unit_price
         FROM x JOIN award_winners w ON w.round_no = $1 AND w.item_no = x.item_no AND w.manufacturer_no = x.manufacturer_no
         JOIN items i ON i.round_id = $2 AND i.no = x.item_no
         JOIN organizations m ON m.no = x.manufacturer_no
        GROUP BY i.code, m.id, w.comparable_unit_price, i.baseline_unit_price
       RETURNING hospitals)
     SELECT coalesce(sum(hospitals), 0)::int AS n FROM ins`, [r.no, r.id]);
  return n;
}

/**
 * The four steps over the round's stored results (item_results, bid_results,
 * region_preferences), into allocations, award_winners and award_totals, in
 * the caller's transaction. Award commits them; a simulation runs them on
 * its own results and rolls them back (src/simulations/service.ts).
 */
export async function allocateRound(tx: Queryable, r: RoundRow): Promise<{ allocations: Allocation[]; agreements: number }> {
  await stage(tx, r);
  const { allocations } = await allocate(tx, r);
  await freeze(tx, r, allocations);
  const agreements = await totals(tx, r);
  return { allocations, agreements };
}

/** Awards a round inside one transaction; who may ask (and the notice period) is checked by the caller. */
export async function awardRound(ctx: AppContext, actor: string, roundId: string, check: (tx: Queryable, r: RoundRow) => Promise<void> = async () => {}) {
  return ctx.db.transaction(async (tx) => {
    const r = await loadRound(tx, roundId, true);
    if (!r) throw notFound('Round');
    guardTransition(r, 'award');
    await check(tx, r);
    const { allocations, agreements } = await allocateRound(tx, r);
    const after = await applyTransition(ctx, tx, actor, r, 'award', { allocations: allocations.length, agreements });
    if (r.contractStart) return after;
    const [row] = await tx.query<{ contract_start: string }>('UPDATE rounds SET contract_start = $2 WHERE id = $1 RETURNING contract_start',
      [roundId, ctx.clock.now().toISOString().slice(0, 7)]);
    return { ...after, contractStart: row.contract_start };
  });
}

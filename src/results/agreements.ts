/**
 * Reads of what award fixed: supply units (allocations) and per-hospital
 * agreements. Agreements are a view over the round's demand (3,000,000 rows
 * nationally), so each read is shaped to touch only the rows of its page:
 * a hospital's agreements are a key range of demand; a manufacturer's are
 * found from its supply units and its preferred-supplier lines, hospital by
 * hospital in key order, never by walking the round's demand.
 */
import type { AppContext, Principal } from '../context.js';
import type { Queryable } from '../db/client.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { guardAgreements } from '../rounds/lifecycle.js';
import type { RoundRow } from '../rounds/mapper.js';
import { phaseOf } from '../rounds/service.js';
import { unitCodeSql, unitSql } from './units.js';

export interface AllocationQuery { limit?: number; cursor?: string; itemCode?: string }
export interface AgreementQuery { limit?: number; cursor?: string; hospitalId?: string; itemCode?: string; manufacturerId?: string }

export async function listAllocations(ctx: AppContext, r: RoundRow, q: AllocationQuery) {
  guardAgreements(phaseOf(r));
  const limit = q.limit ?? 100;
  const [afterItem, afterUnit] = decodeCursor(q.cursor, 2) ?? ['', -1];
  const rows = await ctx.db.query<{ item_code: string; unit: number; region_code: string; manufacturer_id: string; product_id: string }>(
    `SELECT i.code AS item_code, a.unit, ${unitCodeSql('a.unit', r.rules.regionLevel)} AS region_code, m.id AS manufacturer_id, p.id AS product_id
       FROM allocations a
       JOIN items i ON i.round_id = $2 AND i.no = a.item_no
       JOIN organizations m ON m.no = a.manufacturer_no
       JOIN products p ON p.no = a.product_no
      WHERE a.round_no = $1 AND (i.code, a.unit) > ($3::text, $4::int) AND ($5::text IS NULL OR i.code = $5)
      ORDER BY i.code, a.unit LIMIT $6`,
    [r.no, r.id, String(afterItem), Number(afterUnit), q.itemCode ?? null, limit + 1]);
  return toPage(rows, limit, (a) => [a.item_code, a.unit], (a) => ({
    itemCode: a.item_code, regionCode: a.region_code, manufacturerId: a.manufacturer_id, productId: a.product_id,
  }));
}

interface AgreementRow {
  hospital_no: number; item_no: number; hospital_id: string; item_code: string; manufacturer_id: string; product_id: string;
  demand: number; agreed_quantity: number; unit_price: string; comparable: string;
}

/** A page's filters: each given one becomes a condition of its own (no `$n IS NULL OR …`, which a generic plan cannot index). */
interface Filters { round: number; roundId: string; manufacturer?: number; hospital?: number; item?: number; after: [number, number]; limit: number }

/** Numbered parameters for SQL built from parts. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown, type: string): string { this.values.push(v); return `$${this.values.length}::${type}`; }
}

/**
 * The agreements of a set `d` of demand rows (DOMAIN.md: a hospital is
 * supplied by its preferred manufacturer when that one won, else by its
 * unit's winner), with string ids, for the page's rows only. The same rule
 * as the agreements view, applied after the page's rows are chosen.
 */
function agreementsOf(f: Filters, x: Params, level: 'province' | 'city', round: string) {
  // Ids by scalar subqueries: each is planned on its own (a nine-way join took the planner longer than the page took to run).
  return `
  SELECT d.hospital_no, d.item_no, (SELECT id FROM organizations WHERE no = d.hospital_no) AS hospital_id,
         (SELECT code FROM items WHERE round_id = ${x.add(f.roundId, 'text')} AND no = d.item_no) AS item_code,
         (SELECT id FROM organizations WHERE no = w.manufacturer_no) AS manufacturer_id, (SELECT id FROM products WHERE no = w.product_no) AS product_id,
         d.quantity AS demand, round(d.quantity * w.agreed_volume_ratio)::int AS agreed_quantity,
         round(w.unit_price, 4)::text AS unit_price, round(w.comparable_unit_price, 4)::text AS comparable
    FROM d
    JOIN organizations h ON h.no = d.hospital_no
    JOIN allocations a ON a.round_no = ${round} AND a.item_no = d.item_no AND a.unit = ${unitSql('h', level)}
    LEFT JOIN award_winners pw ON pw.round_no = ${round} AND pw.item_no = d.item_no AND pw.manufacturer_no = d.preferred_no
    JOIN award_winners w ON w.round_no = ${round} AND w.item_no = d.item_no AND w.manufacturer_no = coalesce(pw.manufacturer_no, a.manufacturer_no)
   ${f.manufacturer !== undefined ? `WHERE w.manufacturer_no = ${x.add(f.manufacturer, 'int')}` : ''}
   ORDER BY d.hospital_no, d.item_no LIMIT ${x.add(f.limit, 'int')}`;
}

/**
 * A page of demand rows of awarded items in key order (each is one
 * agreement), chosen before anything is joined: an ordered range of demand's
 * primary key. With a manufacturer filter too (one hospital's rows), the
 * limit applies after it.
 */
function page(f: Filters, x: Params, round: string) {
  const where = [`round_no = ${round}`, `item_no IN (SELECT item_no FROM award_winners WHERE round_no = ${round})`,
    `(hospital_no, item_no) > (${x.add(f.after[0], 'int')}, ${x.add(f.after[1], 'int')})`];
  if (f.hospital !== undefined) where.push(`hospital_no = ${x.add(f.hospital, 'int')}`);
  if (f.item !== undefined) where.push(`item_no = ${x.add(f.item, 'int')}`);
  return `WITH d AS MATERIALIZED (SELECT * FROM demand WHERE ${where.join(' AND ')}
    ORDER BY hospital_no, item_no ${f.manufacturer === undefined ? `LIMIT ${x.add(f.limit, 'int')}` : ''})`;
}

/**
 * A manufacturer's page: the hospitals of its supply units (for the items it
 * supplies there) and those that prefer it, walked in key order over the
 * small hospital table, each probing demand by its primary key; a row that
 * another (preferred) winner supplies is left out. The LIMIT stops the walk,
 * so the round's demand is never read whole.
 */
function manufacturerPage(f: Filters, x: Params, level: 'province' | 'city', round: string) {
  const m = x.add(f.manufacturer, 'int');
  const item = f.item !== undefined ? `AND dd.item_no = ${x.add(f.item, 'int')}` : '';
  const [h0, i0] = [x.add(f.after[0], 'int'), x.add(f.after[1], 'int')];
  return `
  WITH mine AS MATERIALIZED (SELECT unit, array_agg(item_no) AS items FROM allocations WHERE round_no = ${round} AND manufacturer_no = ${m} GROUP BY unit),
  won AS MATERIALIZED (SELECT array_agg(item_no) AS items FROM award_winners WHERE round_no = ${round} AND manufacturer_no = ${m}),
  preferring AS MATERIALIZED (SELECT DISTINCT hospital_no FROM demand WHERE round_no = ${round} AND preferred_no = ${m}),
  d AS MATERIALIZED (
    SELECT x.* FROM organizations h
      LEFT JOIN mine ON mine.unit = ${unitSql('h', level)}
      CROSS JOIN won
      CROSS JOIN LATERAL (
        SELECT dd.* FROM demand dd
         WHERE dd.round_no = ${round} AND dd.hospital_no = h.no ${item}
           AND (dd.item_no = ANY(mine.items) OR (dd.preferred_no = ${m} AND dd.item_no = ANY(won.items)))
      ) x
     WHERE h.kind = 'hospital' AND (mine.unit IS NOT NULL OR h.no IN (SELECT hospital_no FROM preferring))
       AND h.no >= ${h0} AND (h.no, x.item_no) > (${h0}, ${i0})
       AND NOT EXISTS (SELECT 1 FROM award_winners pw WHERE pw.round_no = ${round} AND pw.item_no = x.item_no
                         AND pw.manufacturer_no = x.preferred_no AND pw.manufacturer_no <> ${m})
     ORDER BY h.no, x.item_no LIMIT ${x.add(f.limit, 'int')})`;
}

/** Number of an organization by id (null when there is none: the filter then matches nothing). */
async function noOf(db: Queryable, id: string | undefined | null): Promise<number | null | undefined> {
  if (id === undefined || id === null) return undefined;
  const [row] = await db.query<{ no: number }>('SELECT no FROM organizations WHERE id = $1', [id]);
  return row ? row.no : null;
}

/** Agreements of a round: hospitals see their own, manufacturers those they supply, the alliance and operator all. */
export async function listAgreements(ctx: AppContext, p: Principal, r: RoundRow, q: AgreementQuery) {
  guardAgreements(phaseOf(r));
  const limit = q.limit ?? 100;
  const [afterHospital, afterItem] = (decodeCursor(q.cursor, 2) ?? [0, 0]).map(Number);
  const db = ctx.db;
  let hospital = await noOf(db, q.hospitalId);
  let manufacturer = await noOf(db, q.manufacturerId);
  // Scope: a hospital sees its own agreements, a manufacturer those it supplies (a filter for another matches nothing).
  if (p.role === 'hospital') hospital = hospital === undefined || hospital === p.no ? p.no : null;
  if (p.role === 'manufacturer') manufacturer = manufacturer === undefined || manufacturer === p.no ? p.no : null;
  let item: number | null | undefined;
  if (q.itemCode !== undefined) {
    const [row] = await db.query<{ no: number }>('SELECT no FROM items WHERE round_id = $1 AND code = $2', [r.id, q.itemCode]);
    item = row ? row.no : null;
  }
  if (hospital === null || manufacturer === null || item === null) return { data: [], nextCursor: null };
  const f: Filters = { round: r.no, roundId: r.id, manufacturer, hospital, item, after: [afterHospital, afterItem], limit: limit + 1 };
  const x = new Params();
  const round = x.add(r.no, 'int');
  const level = r.rules.regionLevel;
  const head = manufacturer !== undefined && hospital === undefined ? manufacturerPage(f, x, level, round) : page(f, x, round);
  const rows = await db.query<AgreementRow>(head + agreementsOf(f, x, level, round), x.values);
  return toPage(rows, limit, (a) => [a.hospital_no, a.item_no], (a) => ({
    hospitalId: a.hospital_id, itemCode: a.item_code, manufacturerId: a.manufacturer_id, productId: a.product_id,
    demand: a.demand, agreedQuantity: a.agreed_quantity, unitPrice: a.unit_price, comparableUnitPrice: a.comparable,
  }));
}

import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import type { Queryable } from '../db/client.js';
import { demand, items, organizations } from '../db/schema.js';
import { appendEvent } from '../audit/service.js';
import { KeyOrder, LineErrors, copyStream, echo, readBulkBatches, type BulkBody, type BulkRecord } from '../http/bulk.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { invalidInput, notFound } from '../http/problem.js';
import { guardDemand } from '../rounds/lifecycle.js';
import type { RoundRow } from '../rounds/mapper.js';
import { hospitalIndex, itemIndex, manufacturerIndex, type HospitalIndex } from '../rounds/members.js';
import { loadItem, visibleRound } from '../rounds/service.js';
import { MAX_QUANTITY, type DemandInput } from './schemas.js';

async function manufacturerNo(tx: Queryable, id: string | null | undefined, path: string): Promise<number | null> {
  if (!id) return null;
  const [m] = await tx.orm.select({ no: organizations.no }).from(organizations)
    .where(and(eq(organizations.id, id), eq(organizations.kind, 'manufacturer')));
  if (!m) throw invalidInput('No such manufacturer', [{ path, message: 'not a manufacturer' }]);
  return m.no;
}

/** A hospital's own demand line; it replaces the earlier one. */
export async function putDemand(ctx: AppContext, p: Principal, roundId: string, itemCode: string, input: DemandInput) {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId, true);
    const item = await loadItem(tx, roundId, itemCode);
    if (!item) throw notFound('Item');
    guardDemand(r);
    const preferredNo = await manufacturerNo(tx, input.preferredManufacturerId, '/preferredManufacturerId');
    // The old line (if any) and the new one, in one statement; the item's totals move by the difference.
    await tx.query(
      `WITH old AS (SELECT quantity FROM demand WHERE round_no = $1 AND hospital_no = $2 AND item_no = $3),
       up AS (INSERT INTO demand (round_no, hospital_no, item_no, quantity, preferred_no, city)
              VALUES ($1, $2, $3, $4, $5, (SELECT city FROM organizations WHERE no = $2))
              ON CONFLICT (round_no, hospital_no, item_no) DO UPDATE SET quantity = EXCLUDED.quantity, preferred_no = EXCLUDED.preferred_no)
       INSERT INTO demand_totals (round_no, item_no, hospitals, quantity)
       SELECT $1, $3, CASE WHEN EXISTS (SELECT 1 FROM old) THEN 0 ELSE 1 END, $4 - coalesce((SELECT quantity FROM old), 0)
       ON CONFLICT (round_no, item_no) DO UPDATE
         SET hospitals = demand_totals.hospitals + EXCLUDED.hospitals, quantity = demand_totals.quantity + EXCLUDED.quantity`,
      [r.no, p.no, item.no, input.quantity, preferredNo]);
    return { hospitalId: p.orgId!, itemCode, quantity: input.quantity, preferredManufacturerId: input.preferredManufacturerId ?? null };
  });
}

export const DEMAND_FIELDS = ['hospitalId', 'hospitalExternalId', 'itemCode', 'quantity', 'preferredManufacturerId'] as const;

/** What a demand line is checked against: the platform's hospitals (in or out of the round), the round's items, manufacturers. */
export interface DemandIndex { hospitals: HospitalIndex; items: Map<string, number>; manufacturers: Map<string, number> }

type LineResult = { hospitalNo: number; city: number; itemNo: number; quantity: number; preferredNo: number | null } | { error: string; malformed?: boolean };

const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** A whole quantity in [min, max] from a number or a string of digits; the message says why not. */
export function wholeQuantity(v: unknown, name: string, min: number, max: number): number | string {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) n = Number(v);
  else return v === undefined || v === null ? `${name} is required` : `${name} must be a whole number`;
  if (!Number.isInteger(n)) return `${name} must be a whole number`;
  if (n < min) return `${name} must be at least ${min}`;
  if (n > max) return `${name} must be at most ${max}`;
  return n;
}

/**
 * One demand line checked and turned into numbers. What a line shows by itself
 * (missing fields, quantities) is a malformed line (400); what needs the
 * platform's data (unknown or out-of-region hospital, unknown item or
 * manufacturer) breaks a domain rule (422). A key repeated in the upload is found by SQL.
 */
export function demandLine(r: Record<string, unknown>, ix: DemandIndex): LineResult {
  const hid = text(r.hospitalId), hext = text(r.hospitalExternalId), code = text(r.itemCode), pref = text(r.preferredManufacturerId);
  if (hid === undefined && hext === undefined) return { error: 'hospitalId or hospitalExternalId is required', malformed: true };
  if (code === undefined) return { error: 'itemCode is required', malformed: true };
  const quantity = wholeQuantity(r.quantity, 'quantity', 1, MAX_QUANTITY);
  if (typeof quantity === 'string') return { error: quantity, malformed: true };
  const h = hid !== undefined ? ix.hospitals.byId.get(hid) : ix.hospitals.byExternalId.get(hext!);
  if (!h) return { error: `unknown hospital ${echo(hid ?? hext).slice(1, -1)}` };
  if (!h.inRound) return { error: `hospital ${h.id} is outside the alliance's regions` };
  const itemNo = ix.items.get(code);
  if (itemNo === undefined) return { error: `unknown item ${echo(code).slice(1, -1)}` };
  let preferredNo: number | null = null;
  if (pref !== undefined) {
    const m = ix.manufacturers.get(pref);
    if (m === undefined) return { error: `unknown manufacturer ${echo(pref).slice(1, -1)}` };
    preferredNo = m;
  }
  return { hospitalNo: h.no, city: h.city, itemNo, quantity, preferredNo };
}

/**
 * What an upload's lines showed as they streamed: whether their keys came in primary-key order and, per
 * item, the hospitals and quantity (a round's first upload sets demand_totals from these instead of summing
 * what it wrote). Whole quantities ≤ MAX_QUANTITY: a sum of millions of them stays an exact integer in a double.
 */
class Streamed {
  readonly order = new KeyOrder();
  readonly items = new Map<number, { hospitals: number; quantity: number }>();
  saw(hospitalNo: number, itemNo: number, quantity: number) {
    this.order.saw(hospitalNo, itemNo);
    const t = this.items.get(itemNo);
    if (t) { t.hospitals++; t.quantity += quantity; } else this.items.set(itemNo, { hospitals: 1, quantity });
  }
}

// Integers only: the COPY line needs no escaping (copyLine's general path costs a regex per value).
const stageLine = (ix: DemandIndex, seen: Streamed) => ({ line, record }: BulkRecord) => {
  const d = demandLine(record, ix);
  if ('error' in d) return d;
  seen.saw(d.hospitalNo, d.itemNo, d.quantity);
  return `${line}\t${d.hospitalNo}\t${d.quantity}\t${d.itemNo}\t${d.preferredNo ?? '\\N'}\t${d.city}\n`;
};

const insertDemand = (sorted: boolean) => `INSERT INTO demand (round_no, hospital_no, quantity, item_no, preferred_no, city)
  SELECT $1, hospital_no, quantity, item_no, preferred_no, city FROM demand_stage ${sorted ? '' : 'ORDER BY hospital_no, item_no'}`;
const upsertDemand = (sorted: boolean) => `${insertDemand(sorted)}
  ON CONFLICT (round_no, hospital_no, item_no) DO UPDATE SET quantity = EXCLUDED.quantity, preferred_no = EXCLUDED.preferred_no`;

/**
 * All-or-nothing upload: each line is checked and mapped to integer keys as it
 * streams (line-numbered errors, the first 100), the lines go by COPY into an
 * unlogged staging table, and one INSERT writes them in primary-key order (an
 * upsert once the round has demand). A key repeated in the upload fails the
 * INSERT; SQL then names both lines.
 */
export async function bulkDemand(ctx: AppContext, p: Principal, roundId: string, body: BulkBody) {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId, true);
    guardDemand(r);
    const ix: DemandIndex = {
      hospitals: await hospitalIndex(tx, r.regionCodes), items: await itemIndex(tx, roundId), manufacturers: await manufacturerIndex(tx),
    };
    await tx.query(`CREATE TEMP TABLE demand_stage (line int, hospital_no int, quantity int, item_no smallint, preferred_no int, city smallint) ON COMMIT DROP`);
    const errors = new LineErrors();
    const counter = { rows: 0 };
    const seen = new Streamed();
    await tx.copyFrom('COPY demand_stage FROM STDIN', copyStream(readBulkBatches(body, DEMAND_FIELDS), errors, counter, stageLine(ix, seen), ctx.config.maxUploadRows));
    if (errors.any) throw errors.problem();
    if (counter.rows === 0) throw invalidInput('The upload has no records');
    // The sort and the merge fit in memory; JIT compiling costs more than it saves on these plain statements.
    await tx.query(`SET LOCAL work_mem = '256MB'`);
    await tx.query('SET LOCAL jit = off');
    // A round's first upload is a plain INSERT: the conflict checks of an upsert cost a third of the merge.
    const [{ first }] = await tx.query<{ first: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM demand WHERE round_no = $1) AS first', [r.no]);
    let inserted = first;
    try {
      await tx.savepoint((sp) => sp.query(first ? insertDemand(seen.order.ordered) : upsertDemand(seen.order.ordered), [r.no]));
    } catch (e) {
      // 21000: the upsert met a key twice; 23505: the insert met a key twice, or a row another
      // request committed since the check above. The savepoint has undone the attempt.
      const code = (e as { code?: string }).code;
      if (code !== '21000' && code !== '23505') throw e;
      const repeated = await duplicateLines(tx, roundId);
      if (repeated.length) {
        const dup = new LineErrors();
        dup.addAll(repeated);
        throw dup.problem();
      }
      if (code !== '23505') throw e;
      await tx.query(upsertDemand(seen.order.ordered), [r.no]);
      inserted = false;
    }
    // What the upload inserted alone is the round's demand: its totals are the streamed ones (a pass over
    // 3,000,000 rows saved); after an upsert they are summed from the round's demand.
    const items = [...seen.items];
    await tx.query(
      inserted
        ? `INSERT INTO demand_totals (round_no, item_no, hospitals, quantity)
           SELECT $1, * FROM unnest($2::smallint[], $3::int[], $4::bigint[])
           ON CONFLICT (round_no, item_no) DO UPDATE SET hospitals = EXCLUDED.hospitals, quantity = EXCLUDED.quantity`
        : `INSERT INTO demand_totals (round_no, item_no, hospitals, quantity)
           SELECT round_no, item_no, count(*)::int, sum(quantity) FROM demand WHERE round_no = $1 GROUP BY round_no, item_no
           ON CONFLICT (round_no, item_no) DO UPDATE SET hospitals = EXCLUDED.hospitals, quantity = EXCLUDED.quantity`,
      inserted ? [r.no, items.map(([no]) => no), items.map(([, t]) => t.hospitals), items.map(([, t]) => String(t.quantity))] : [r.no]);
    await tx.query('ANALYZE demand');
    await appendEvent(tx, roundId, { type: 'demand.uploaded', actor: actorOf(p), at: ctx.clock.now(), data: { rows: counter.rows } });
    return { rows: counter.rows };
  });
}

/** Lines whose (hospital, item) an earlier line of the same upload already gave. */
function duplicateLines(tx: Queryable, roundId: string) {
  return tx.query<{ line: number; message: string }>(
    `WITH w AS (SELECT line, hospital_no, item_no, min(line) OVER k AS first, count(*) OVER k AS n
                  FROM demand_stage WINDOW k AS (PARTITION BY hospital_no, item_no))
     SELECT w.line, 'hospital ' || h.id || ' and item ' || i.code || ' repeat line ' || w.first AS message
       FROM w JOIN organizations h ON h.no = w.hospital_no JOIN items i ON i.round_id = $1 AND i.no = w.item_no
      WHERE w.n > 1 AND w.line <> w.first ORDER BY w.line LIMIT 100`, [roundId]);
}

export async function listDemand(ctx: AppContext, p: Principal, r: RoundRow, q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 1);
  const from = after ? String(after[0]) : '';
  if (p.role === 'hospital') {
    const pref = sql<string | null>`(SELECT m.id FROM ${organizations} m WHERE m.no = ${demand.preferredNo})`;
    const rows = await ctx.db.orm.select({ itemCode: items.code, quantity: demand.quantity, preferredManufacturerId: pref })
      .from(demand).innerJoin(items, and(eq(items.roundId, r.id), eq(items.no, demand.itemNo)))
      .where(and(eq(demand.roundNo, r.no), eq(demand.hospitalNo, p.no!), gt(items.code, from)))
      .orderBy(asc(items.code)).limit(limit + 1);
    return toPage(rows, limit, (x) => [x.itemCode], (x) => ({ hospitalId: p.orgId!, ...x }));
  }
  // Alliance, operator and bidders see totals per item (the volume on offer), never another hospital's lines.
  const rows = await ctx.db.query<{ code: string; hospitals: number; quantity: string }>(
    `SELECT i.code, coalesce(t.hospitals, 0) AS hospitals, coalesce(t.quantity, 0)::text AS quantity
       FROM items i LEFT JOIN demand_totals t ON t.round_no = $1 AND t.item_no = i.no
      WHERE i.round_id = $2 AND i.code > $3 ORDER BY i.code LIMIT $4`,
    [r.no, r.id, from, limit + 1]);
  return toPage(rows, limit, (x) => [x.code], (x) => ({ itemCode: x.code, hospitals: x.hospitals, quantity: Number(x.quantity) }));
}

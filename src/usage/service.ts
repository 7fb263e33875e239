/**
 * Usage and delivery uploads (API.md PUT /usage, PUT /deliveries), as demand uploads: each line
 * checked and mapped to integer keys as it streams (line-numbered errors, the first 100), COPY into
 * an unlogged staging table, one statement to merge. All-or-nothing; a key repeated in one upload
 * is an error naming both lines. Writes only while the round is awarded.
 *
 * A usage upload keeps the monitoring rollups in the same statement: the upload's rows minus the
 * rows they replace (read from the statement's snapshot, the round row locked so uploads of a
 * round run one at a time) are added to monitoring_groups, monitoring_hospitals and the hospitals'
 * all-month totals (monitoring_agreed_hospitals).
 */
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import type { Queryable, Tx } from '../db/client.js';
import { appendEvent } from '../audit/service.js';
import { wholeQuantity } from '../demand/service.js';
import { MAX_QUANTITY } from '../demand/schemas.js';
import { KeyOrder, LineErrors, copyStream, echo, readBulkBatches, type BulkBody, type BulkRecord } from '../http/bulk.js';
import { invalidInput } from '../http/problem.js';
import { guardContractPeriod } from '../rounds/lifecycle.js';
import type { RoundRow } from '../rounds/mapper.js';
import { hospitalIndex, itemIndex, type HospitalIndex } from '../rounds/members.js';
import { visibleRound } from '../rounds/service.js';
import { contractSpan, periodAt, periodOf, periodText } from '../rules/monitoring.js';
import { contractStartOf, prepareMonitoring } from '../monitoring/service.js';

export const USAGE_FIELDS = ['hospitalId', 'period', 'itemCode', 'productId', 'orderedQuantity', 'receivedQuantity', 'amount'] as const;
export const DELIVERY_FIELDS = ['hospitalId', 'period', 'itemCode', 'shippedQuantity'] as const;

/** Amounts: a plain decimal string with at most 4 places (no sign, no exponent), at most 15 integer digits. */
const AMOUNT = /^\d{1,15}(\.\d{1,4})?$/;

const text = (v: unknown): string | undefined =>
  v === undefined || v === null || v === '' ? undefined : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

type Bad = { error: string; malformed?: boolean };

/** What a line is checked against. */
interface Context {
  p: Principal; hospitals: HospitalIndex; items: Map<string, number>; products: Map<string, number>;
  first: number; last: number; current: number;
  /** The months the upload's lines name. */
  periods: Set<number>;
  /** Whether the lines came in (hospital, item) order: such an upload is not sorted again. */
  order: KeyOrder;
  /** The last period text read and its month number (an upload is mostly one month). */
  lastPeriod?: { text: string; p: number };
}

/** The period of a line: a month of the contract period, not after the current month. */
function periodLine(v: unknown, c: Context): number | Bad {
  const s = text(v);
  if (s === undefined) return { error: 'period is required', malformed: true };
  if (c.lastPeriod?.text === s) return c.lastPeriod.p;
  const p = periodOf(s);
  if (p === null) return { error: `period ${echo(s)} is not a month YYYY-MM`, malformed: true };
  if (p < c.first || p > c.last) return { error: `period ${s} is outside the contract period ${periodText(c.first)} to ${periodText(c.last)}` };
  if (p > c.current) return { error: `period ${s} is after the current month ${periodText(c.current)}` };
  c.periods.add(p);
  c.lastPeriod = { text: s, p };
  return p;
}

/** The hospital of a line: a hospital reports for itself; the alliance and the operator for any hospital of the round. */
function hospitalLine(v: unknown, c: Context, required: boolean): number | Bad {
  const id = text(v);
  if (id === undefined) {
    if (c.p.role === 'hospital' && !required) return c.p.no!;
    return { error: 'hospitalId is required', malformed: true };
  }
  const h = c.hospitals.byId.get(id);
  if (!h) return { error: `unknown hospital ${echo(id).slice(1, -1)}` };
  if (c.p.role === 'hospital' && h.no !== c.p.no) return { error: 'a hospital reports its own usage only' };
  if (!h.inRound) return { error: `hospital ${h.id} is outside the round's regions` };
  return h.no;
}

function itemLine(v: unknown, c: Context): number | Bad {
  const code = text(v);
  if (code === undefined) return { error: 'itemCode is required', malformed: true };
  const no = c.items.get(code);
  return no === undefined ? { error: `unknown item ${echo(code).slice(1, -1)}` } : no;
}

const quantity = (v: unknown, name: string): number | Bad => {
  const q = wholeQuantity(v, name, 0, MAX_QUANTITY);
  return typeof q === 'string' ? { error: q, malformed: true } : q;
};

function amountLine(v: unknown): string | Bad {
  if (v === undefined || v === null || v === '') return { error: 'amount is required', malformed: true };
  if (typeof v !== 'string') return { error: 'amount must be a decimal string ("12.3400")', malformed: true };
  if (AMOUNT.test(v)) return v;
  if (/^-/.test(v)) return { error: 'amount must not be negative', malformed: true };
  if (/^\d+\.\d{5,}$/.test(v)) return { error: 'amount has more than 4 decimal places', malformed: true };
  return { error: `amount ${echo(v)} is not a plain decimal number`, malformed: true };
}

const isBad = (v: unknown): v is Bad => typeof v === 'object' && v !== null && 'error' in v;

/** One usage line as a COPY line of usage_stage, or why not. */
export function usageLine({ line, record: r }: BulkRecord, c: Context): string | Bad {
  const hospital = hospitalLine(r.hospitalId, c, false);
  if (isBad(hospital)) return hospital;
  const period = periodLine(r.period, c);
  if (isBad(period)) return period;
  const item = itemLine(r.itemCode, c);
  if (isBad(item)) return item;
  let product = 0;
  const pid = text(r.productId);
  if (pid !== undefined) {
    const no = c.products.get(pid);
    if (no === undefined) return { error: `unknown product ${echo(pid).slice(1, -1)}` };
    product = no;
  }
  const ordered = quantity(r.orderedQuantity, 'orderedQuantity');
  if (isBad(ordered)) return ordered;
  const received = quantity(r.receivedQuantity, 'receivedQuantity');
  if (isBad(received)) return received;
  const amount = amountLine(r.amount);
  if (isBad(amount)) return amount;
  c.order.saw(hospital, item);
  return `${line}\t${hospital}\t${item}\t${period}\t${product}\t${ordered}\t${received}\t${amount}\n`;
}

/** One delivery line as a COPY line of deliveries_stage; whose agreement it is, SQL checks. */
export function deliveryLine({ line, record: r }: BulkRecord, c: Context): string | Bad {
  const hospital = hospitalLine(r.hospitalId, c, true);
  if (isBad(hospital)) return hospital;
  const period = periodLine(r.period, c);
  if (isBad(period)) return period;
  const item = itemLine(r.itemCode, c);
  if (isBad(item)) return item;
  const shipped = quantity(r.shippedQuantity, 'shippedQuantity');
  if (isBad(shipped)) return shipped;
  return `${line}\t${hospital}\t${item}\t${period}\t${shipped}\n`;
}

async function productIndex(db: Queryable): Promise<Map<string, number>> {
  const rows = await db.query<{ no: number; id: string }>('SELECT no, id FROM products');
  return new Map(rows.map((r) => [r.id, r.no]));
}

async function contextOf(ctx: AppContext, tx: Queryable, p: Principal, r: RoundRow, products: boolean): Promise<Context> {
  const { first, last } = contractSpan(contractStartOf(r), r.contractMonths);
  return {
    p, hospitals: await hospitalIndex(tx, r.regionCodes), items: await itemIndex(tx, r.id),
    products: products ? await productIndex(tx) : new Map(), first, last, current: periodAt(ctx.clock.now()), periods: new Set(), order: new KeyOrder(),
  };
}

/** Streams the body's checked lines into `table` by COPY; throws the line errors (nothing written). */
async function stage(ctx: AppContext, tx: Tx, body: BulkBody, table: string, fields: readonly string[], toLine: (r: BulkRecord) => string | Bad) {
  const errors = new LineErrors(body.format === 'json');
  const counter = { rows: 0 };
  await tx.copyFrom(`COPY ${table} FROM STDIN`, copyStream(readBulkBatches(body, fields), errors, counter, toLine, ctx.config.maxUploadRows));
  if (errors.any) throw errors.problem();
  if (counter.rows === 0) throw invalidInput('The upload has no records');
  // Statistics of the staged rows (a sample): without them the planner takes the staging table for a small one.
  await tx.query(`ANALYZE ${table}`);
  await tx.query(`SET LOCAL work_mem = '256MB'`);
  await tx.query('SET LOCAL jit = off');
  return { errors, rows: counter.rows };
}

/** Runs a merge that fails on a key given twice (21000) and then names the repeated lines. */
/**
 * Runs a merge that fails on a key given twice (21000 in an upsert, 23505 in a plain insert) and
 * then names the repeated lines. A plain insert may also meet a row the hint missed (usage of a
 * key without agreement): then `fallback`, the upsert, runs instead.
 */
async function mergeOnce(tx: Tx, json: boolean, merge: string, params: unknown[], repeated: () => Promise<{ line: number; message: string }[]>, fallback?: string) {
  try {
    await tx.savepoint((sp) => sp.query(merge, params));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== '21000' && code !== '23505') throw e;
    const lines = await repeated();
    if (lines.length || !fallback) {
      const dup = new LineErrors(json);
      dup.addAll(lines);
      throw dup.problem();
    }
    // The fallback reads the rows it replaces by their index.
    await tx.query('SET LOCAL enable_nestloop = on');
    await tx.query(fallback, params);
  }
}

/** Lines of a staging table whose key an earlier line already gave. */
function repeatedLines(tx: Queryable, table: string, key: string, describe: string, roundId: string) {
  return tx.query<{ line: number; message: string }>(
    `WITH w AS (SELECT s.*, min(line) OVER k AS first, count(*) OVER k AS n FROM ${table} s WINDOW k AS (PARTITION BY ${key}))
     SELECT w.line, ${describe} || ' repeat line ' || w.first AS message
       FROM w JOIN organizations h ON h.no = w.hospital_no JOIN items i ON i.round_id = $1 AND i.no = w.item_no
      WHERE w.n > 1 AND w.line <> w.first ORDER BY w.line LIMIT 100`, [roundId]);
}

/**
 * The merge of a usage upload: upsert the given keys; the deltas (new − replaced) of the keys that
 * belong to agreements, classified by the agreement's product, go into the two rollups. `fresh`:
 * the upload's months have no usage yet, so nothing is replaced: a plain INSERT (the conflict
 * checks of an upsert and the read of the replaced rows cost more than the rest of the merge).
 */
export function mergeUsage(fresh: boolean, ordered = false): string {
  const minus = (c: string) => (fresh ? `s.${c}` : `s.${c} - coalesce(o.${c}, 0)`);
  return `
WITH s AS (SELECT hospital_no, item_no, period, product_no, ordered, received, amount FROM usage_stage),
up AS (INSERT INTO usage (round_no, hospital_no, item_no, period, product_no, ordered, received, amount)
       SELECT $1, hospital_no, item_no, period, product_no, ordered, received, amount FROM s
       -- Stored in key order, so that a (hospital, item)'s months sit on neighbouring pages for the reads that walk
       -- agreements in key order; an upload already in that order (as exports are) is not sorted again (~1.2 s nationally).
       ${ordered ? '' : 'ORDER BY hospital_no, item_no, period, product_no'}
       ${fresh ? '' : `ON CONFLICT (round_no, hospital_no, item_no, period, product_no)
       DO UPDATE SET ordered = EXCLUDED.ordered, received = EXCLUDED.received, amount = EXCLUDED.amount`}),
-- Both rollups' deltas in one pass over the upload (two hash tables), a few thousand rows.
d AS MATERIALIZED (
  SELECT GROUPING(a.hospital_no, s.period) AS gs, s.period, a.item_no, a.province, a.manufacturer_no, a.hospital_no,
         coalesce(sum(${minus('received')}) FILTER (WHERE s.product_no = a.product_no), 0) AS used,
         coalesce(sum(${minus('received')}) FILTER (WHERE s.product_no <> a.product_no), 0) AS non_winning,
         coalesce(sum(${minus('ordered')}) FILTER (WHERE s.product_no = a.product_no), 0) AS ordered,
         coalesce(sum(${minus('amount')}) FILTER (WHERE s.product_no = a.product_no), 0) AS amount,
         coalesce(sum((${minus('received')}) * i.baseline_unit_price) FILTER (WHERE s.product_no = a.product_no), 0) AS baseline_amount
    FROM s JOIN monitoring_agreements a ON a.round_no = $1 AND a.hospital_no = s.hospital_no AND a.item_no = s.item_no
    JOIN items i ON i.round_id = $2 AND i.no = a.item_no
    ${fresh ? '' : `-- The replaced rows: every part of one statement reads the snapshot from before its INSERT.
    LEFT JOIN usage o ON o.round_no = $1 AND o.hospital_no = s.hospital_no AND o.item_no = s.item_no
                     AND o.period = s.period AND o.product_no = s.product_no`}
   -- gs: 2 the month × group rollup, 0 month × hospital (whose sums by hospital are the totals' deltas).
   GROUP BY GROUPING SETS ((s.period, a.item_no, a.province, a.manufacturer_no), (a.hospital_no, s.period))),
g AS (INSERT INTO monitoring_groups AS t (round_no, period, item_no, province, manufacturer_no, used, non_winning, ordered, amount)
      SELECT $1, period, item_no, province, manufacturer_no, used, non_winning, ordered, amount FROM d WHERE gs = 2
      ON CONFLICT (round_no, period, item_no, province, manufacturer_no) DO UPDATE
        SET used = t.used + EXCLUDED.used, non_winning = t.non_winning + EXCLUDED.non_winning,
            ordered = t.ordered + EXCLUDED.ordered, amount = t.amount + EXCLUDED.amount),
-- Every hospital with an agreement has its row since prepareMonitoring.
-- (A third grouping set by hospital alone cost a third more of the pass over the upload; the months of one upload are few.)
tot AS (UPDATE monitoring_agreed_hospitals t
           SET used = t.used + x.used, non_winning = t.non_winning + x.non_winning, ordered = t.ordered + x.ordered,
               amount = t.amount + x.amount, baseline_amount = t.baseline_amount + x.baseline_amount
          FROM (SELECT hospital_no, sum(used) AS used, sum(non_winning) AS non_winning, sum(ordered) AS ordered,
                       sum(amount) AS amount, sum(baseline_amount) AS baseline_amount
                  FROM d WHERE gs = 0 GROUP BY hospital_no) x
         WHERE t.round_no = $1 AND t.hospital_no = x.hospital_no)
INSERT INTO monitoring_hospitals AS t (round_no, hospital_no, period, used, non_winning, ordered, amount, baseline_amount)
SELECT $1, hospital_no, period, used, non_winning, ordered, amount, baseline_amount FROM d WHERE gs = 0
ON CONFLICT (round_no, hospital_no, period) DO UPDATE
  SET used = t.used + EXCLUDED.used, non_winning = t.non_winning + EXCLUDED.non_winning, ordered = t.ordered + EXCLUDED.ordered,
      amount = t.amount + EXCLUDED.amount, baseline_amount = t.baseline_amount + EXCLUDED.baseline_amount`;
}

/** PUT /usage: hospitals their own rows, the alliance and the operator any hospital of the round. */
export async function putUsage(ctx: AppContext, p: Principal, roundId: string, body: BulkBody) {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId, true);
    guardContractPeriod(r);
    await prepareMonitoring(tx, r);
    const c = await contextOf(ctx, tx, p, r, true);
    await tx.query(`CREATE TEMP TABLE usage_stage (line int, hospital_no int, item_no smallint, period smallint, product_no int,
      ordered int, received int, amount numeric) ON COMMIT DROP`);
    const { rows } = await stage(ctx, tx, body, 'usage_stage', USAGE_FIELDS, (rec) => usageLine(rec, c));
    // Months the rollups have never seen hold no usage of agreements; a plain INSERT finds any other row (and falls back).
    const [{ seen }] = await tx.query<{ seen: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM monitoring_groups WHERE round_no = $1 AND period = ANY($2::int[])) AS seen', [r.no, [...c.periods]]);
    // A fresh month joins the upload to the round's agreements by hashing them (3.7 s at national scale, with
    // parallel workers for the agreements' scan) where the planner, misled by the staging table's join estimate,
    // probes their index once per line (5.4 s). A replacing upload keeps its index probes of the replaced rows.
    if (!seen) await tx.query('SET LOCAL enable_nestloop = off');
    await mergeOnce(tx, body.format === 'json', mergeUsage(!seen, c.order.ordered), [r.no, r.id], () => repeatedLines(tx, 'usage_stage', 'hospital_no, item_no, period, product_no',
      `'hospital ' || h.id || ', period ' || period_text(w.period) || ', item ' || i.code || ', product ' || coalesce((SELECT id FROM products WHERE no = w.product_no), '(none)')`, r.id),
    seen ? undefined : mergeUsage(false, c.order.ordered));
    await tx.query('SET LOCAL enable_nestloop = on');
    await appendEvent(tx, roundId, { type: 'usage.uploaded', actor: actorOf(p), at: ctx.clock.now(), data: { rows } });
    return { rows };
  });
}

/** PUT /deliveries: a manufacturer's shipped quantities, for its own agreements only. */
export async function putDeliveries(ctx: AppContext, p: Principal, roundId: string, body: BulkBody) {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId, true);
    guardContractPeriod(r);
    await prepareMonitoring(tx, r);
    const c = await contextOf(ctx, tx, p, r, false);
    await tx.query(`CREATE TEMP TABLE deliveries_stage (line int, hospital_no int, item_no smallint, period smallint, shipped int) ON COMMIT DROP`);
    const { rows } = await stage(ctx, tx, body, 'deliveries_stage', DELIVERY_FIELDS, (rec) => deliveryLine(rec, c));
    // Lines of another manufacturer's agreement (or of no agreement), found set-based.
    const foreign = await tx.query<{ line: number; message: string; n: number }>(
      `SELECT s.line, 'hospital ' || h.id || ' and item ' || i.code ||
              CASE WHEN a.hospital_no IS NULL THEN ' have no agreement' ELSE ' are another manufacturer''s agreement' END AS message,
              count(*) OVER ()::int AS n
         FROM deliveries_stage s
         LEFT JOIN monitoring_agreements a ON a.round_no = $1 AND a.hospital_no = s.hospital_no AND a.item_no = s.item_no
         JOIN organizations h ON h.no = s.hospital_no JOIN items i ON i.round_id = $2 AND i.no = s.item_no
        WHERE a.manufacturer_no IS DISTINCT FROM $3 ORDER BY s.line LIMIT 100`, [r.no, r.id, p.no]);
    if (foreign.length) {
      const errors = new LineErrors(body.format === 'json');
      errors.addAll(foreign);
      errors.total = foreign[0].n;
      throw errors.problem();
    }
    await mergeOnce(tx, body.format === 'json',
      `INSERT INTO deliveries (round_no, hospital_no, item_no, period, shipped)
       SELECT $1, hospital_no, item_no, period, shipped FROM deliveries_stage ORDER BY hospital_no, item_no, period
       ON CONFLICT (round_no, hospital_no, item_no, period) DO UPDATE SET shipped = EXCLUDED.shipped`, [r.no],
      () => repeatedLines(tx, 'deliveries_stage', 'hospital_no, item_no, period',
        `'hospital ' || h.id || ', period ' || period_text(w.period) || ', item ' || i.code`, r.id));
    await appendEvent(tx, roundId, { type: 'deliveries.uploaded', actor: actorOf(p), at: ctx.clock.now(), data: { rows } });
    return { rows };
  });
}

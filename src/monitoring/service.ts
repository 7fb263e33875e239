/**
 * Monitoring reads (DOMAIN.md "Monitoring", API.md "Monitoring and price tracking"): grouped
 * figures at `asOf`, alerts, the per-agreement rows of the monitoring report and the monthly
 * used-against-expected series. Every read is one set-based statement:
 * - grouped reads of the whole round (alliance, operator, the report worker; manufacturers except
 *   by hospital) read the rollups that usage uploads keep (monitoring_groups, monitoring_hospitals:
 *   thousands of rows, not the round's 36,000,000 usage rows) beside the agreed quantities fixed
 *   at award (monitoring_agreed*);
 * - a hospital's reads, and a manufacturer's by hospital, sum the usage of its own agreements;
 * - alerts and the per-agreement rows walk the agreements in key order, each summing its own
 *   usage rows by primary key (a correlated aggregate, no hash per row), so a page costs its rows.
 * The round's agreements are materialized once (monitoring_agreements) at the first monitoring
 * read or write after award; see prepareMonitoring.
 */
import type { Principal } from '../context.js';
import type { Db, Queryable } from '../db/client.js';
import { decodeCursor, encodeCursor } from '../http/pagination.js';
import { validation } from '../http/problem.js';
import { guardMonitoring } from '../rounds/lifecycle.js';
import type { RoundRow } from '../rounds/mapper.js';
import { byItemNo } from '../rounds/members.js';
import { phaseOf } from '../rounds/service.js';
import {
  ALERT_TYPES, monthsElapsed, periodAt, periodOf, periodText, ratio4, type AlertType, type Figures,
} from '../rules/monitoring.js';

export type GroupBy = 'item' | 'hospital' | 'region' | 'manufacturer';
export interface MonitoringRow extends Figures { key: string }
export interface MonitoringQuery { asOf?: string; groupBy: GroupBy; now?: Date; /** Forces the read of the round by hospital (tests compare the three). */ hospitalPath?: HospitalPath }
export interface Monitoring { asOf: string; monthsElapsed: number; rows: MonitoringRow[] }

export interface Alert {
  type: AlertType; hospitalId: string; manufacturerId: string; itemCode: string; period?: string; value: string; threshold: string;
}
export interface AlertQuery { asOf?: string; type?: AlertType; limit?: number; cursor?: string; now?: Date }

export interface AgreementMonitoringRow {
  hospitalId: string; itemCode: string; manufacturerId: string; agreedQuantity: number; expected: string;
  used: number; nonWinningUsed: number; ordered: number; completion: string | null; progress: string | null;
  fulfilment: string | null; amount: string; savings: string;
}

export interface MonthlyUsage { period: string; used: number; cumulativeUsed: number; expected: string }

/** The contract's first month (set at award) as a month number. */
export function contractStartOf(r: RoundRow): number {
  const p = r.contractStart ? periodOf(r.contractStart) : null;
  if (p === null) throw new Error(`round ${r.id} has no contract start`);
  return p;
}

/** asOf as a month number: the given YYYY-MM (400 when malformed) or the current UTC month. */
export function asOfPeriod(asOf: string | undefined, now: Date = new Date()): number {
  if (asOf === undefined) return periodAt(now);
  const p = periodOf(asOf);
  if (p === null) throw validation('asOf is a month YYYY-MM', [{ path: '/asOf', message: 'must be YYYY-MM' }]);
  return p;
}

/**
 * Writes the round's agreements as integers once (awarded rounds only: agreements are frozen then),
 * with their agreed totals per (item, province, manufacturer) and per hospital. One statement: the
 * marker row is inserted first, so of two concurrent callers the second waits and writes nothing.
 */
export async function prepareMonitoring(db: Queryable, r: RoundRow): Promise<void> {
  const [done] = await db.query<{ x: number }>('SELECT 1 AS x FROM monitoring_rounds WHERE round_no = $1', [r.no]);
  if (done) return;
  await db.query(
    `WITH mark AS (INSERT INTO monitoring_rounds (round_no) VALUES ($1) ON CONFLICT DO NOTHING RETURNING round_no),
     a AS (INSERT INTO monitoring_agreements (round_no, hospital_no, item_no, manufacturer_no, product_no, agreed, province)
           SELECT g.round_no, g.hospital_no, g.item_no, g.manufacturer_no, g.product_no, g.agreed_quantity, h.province
             FROM agreements g JOIN organizations h ON h.no = g.hospital_no
            WHERE g.round_no = $1 AND EXISTS (SELECT 1 FROM mark)
           RETURNING hospital_no, item_no, manufacturer_no, agreed, province),
     ag AS (INSERT INTO monitoring_agreed (round_no, item_no, province, manufacturer_no, agreements, agreed)
            SELECT $1, item_no, province, manufacturer_no, count(*), sum(agreed) FROM a GROUP BY item_no, province, manufacturer_no)
     INSERT INTO monitoring_agreed_hospitals (round_no, hospital_no, agreements, agreed)
     SELECT $1, hospital_no, count(*), sum(agreed) FROM a GROUP BY hospital_no`, [r.no]);
  // Fresh statistics for the reads that walk them (autovacuum may be late): with none, the planner took
  // 3,000,000 agreements for 75 and read them in an order that visits the usage table at random.
  await db.query('ANALYZE monitoring_agreements, monitoring_agreed, monitoring_agreed_hospitals');
}

/** Which agreements a caller sees: hospitals their own, manufacturers those they supply, everyone else all. */
type Scope = { kind: 'all' } | { kind: 'hospital' | 'manufacturer'; no: number };
function scopeOf(p: Principal | null): Scope {
  if (p && (p.role === 'hospital' || p.role === 'manufacturer')) return { kind: p.role, no: p.no! };
  return { kind: 'all' };
}

const KEY_COLUMN: Record<Exclude<GroupBy, 'hospital'>, string> = { item: 'item_no', region: 'province', manufacturer: 'manufacturer_no' };

/**
 * The API key of a group (`g.k`: an item number, province number, organization number), by a join:
 * a scalar subquery per row looked up 50,000 hospital ids one by one (150,000 index pages, half the read).
 */
const KEYS: Record<GroupBy, { key: string; join: string }> = {
  item: { key: 'ki.code', join: 'JOIN items ki ON ki.round_id = $2 AND ki.no = g.k' },
  region: { key: `lpad(g.k::text, 2, '0') || '0000'`, join: '' },
  hospital: { key: 'ko.id', join: 'JOIN organizations ko ON ko.no = g.k' },
  manufacturer: { key: 'ko.id', join: 'JOIN organizations ko ON ko.no = g.k' },
};

const SUM_COLUMNS = `coalesce(us.used, 0) AS used, coalesce(us.nw, 0) AS nw, coalesce(us.ordered, 0) AS ordered,
  coalesce(us.amount, 0) AS amount, coalesce(us.base, 0) AS base`;

/** SQL: the usage sums of agreement `a` over months ≤ $3 (its own product, other or no product). */
const AGREEMENT_SUMS = (a: string) => `LEFT JOIN LATERAL (
    SELECT sum(u.received) FILTER (WHERE u.product_no = ${a}.product_no) AS used,
           sum(u.received) FILTER (WHERE u.product_no <> ${a}.product_no) AS nw,
           sum(u.ordered) FILTER (WHERE u.product_no = ${a}.product_no) AS ordered,
           sum(u.amount) FILTER (WHERE u.product_no = ${a}.product_no) AS amount
      FROM usage u WHERE u.round_no = ${a}.round_no AND u.hospital_no = ${a}.hospital_no AND u.item_no = ${a}.item_no AND u.period <= $3) s ON true`;

/**
 * How the whole round's sums by hospital are read at asOf: `totals`, the all-month totals as kept
 * (no month after asOf holds usage); `minus`, the totals less the months after asOf (fewer than
 * those up to it); `months`, the months up to asOf summed. Each gives the same sums; the cheapest is
 * picked from the months that hold usage (any snapshot: a later upload changes the cost, not the sums).
 */
export type HospitalPath = 'totals' | 'minus' | 'months';

export function hospitalPath(periods: readonly number[], asOf: number): HospitalPath {
  const after = periods.filter((p) => p > asOf).length;
  if (after === 0) return 'totals';
  return after < periods.length - after ? 'minus' : 'months';
}

const HOSPITAL_SUMS = 'sum(used) AS used, sum(non_winning) AS nw, sum(ordered) AS ordered, sum(amount) AS amount, sum(baseline_amount) AS base';

/** SQL: the whole round's sums by hospital (k, agreed, used, nw, ordered, amount, base) at asOf $3. */
function hospitalSums(path: HospitalPath): string {
  switch (path) {
    case 'totals':
      return `SELECT hospital_no AS k, agreed, used, non_winning AS nw, ordered, amount, baseline_amount AS base
                FROM monitoring_agreed_hospitals WHERE round_no = $1 AND $3::int IS NOT NULL`;
    case 'minus':
      return `SELECT t.hospital_no AS k, t.agreed, t.used - coalesce(x.used, 0) AS used, t.non_winning - coalesce(x.nw, 0) AS nw,
                     t.ordered - coalesce(x.ordered, 0) AS ordered, t.amount - coalesce(x.amount, 0) AS amount,
                     t.baseline_amount - coalesce(x.base, 0) AS base
                FROM monitoring_agreed_hospitals t
                LEFT JOIN (SELECT hospital_no, ${HOSPITAL_SUMS} FROM monitoring_hospitals
                            WHERE round_no = $1 AND period > $3 GROUP BY hospital_no) x ON x.hospital_no = t.hospital_no
               WHERE t.round_no = $1`;
    case 'months':
      // Materialized: each side is summed once.
      return `WITH ag AS MATERIALIZED (SELECT hospital_no AS k, agreed FROM monitoring_agreed_hospitals WHERE round_no = $1),
        us AS MATERIALIZED (SELECT hospital_no AS k, ${HOSPITAL_SUMS} FROM monitoring_hospitals WHERE round_no = $1 AND period <= $3 GROUP BY hospital_no)
        SELECT ag.k, ag.agreed, ${SUM_COLUMNS} FROM ag LEFT JOIN us ON us.k = ag.k`;
  }
}

/** Grouped sums of the whole round (or one manufacturer's agreements) from the rollups. */
function rollupSql(groupBy: GroupBy, manufacturer: boolean, path: HospitalPath): string {
  const mf = manufacturer ? 'AND manufacturer_no = $4' : '';
  const baseline = groupBy === 'item' ? '(SELECT baseline_unit_price FROM items WHERE round_id = $2 AND no = ag.k)' : 'NULL::numeric';
  if (groupBy === 'hospital') {
    // $2 (the round id; $3 for the totals) is not needed here, but every parameter must have a type.
    return `SELECT h.k, h.agreed, h.used, h.nw, h.ordered, h.amount, h.base, NULL::numeric AS baseline
              FROM (${hospitalSums(path)}) h WHERE $2::text IS NOT NULL`;
  }
  const k = KEY_COLUMN[groupBy];
  // Materialized: each side is summed once (inlined, a nested loop summed the usage once per group).
  return `WITH ag AS MATERIALIZED (SELECT ${k} AS k, sum(agreed) AS agreed FROM monitoring_agreed WHERE round_no = $1 ${mf} GROUP BY ${k}),
    us AS MATERIALIZED (SELECT g.${k} AS k, sum(g.used) AS used, sum(g.non_winning) AS nw, sum(g.ordered) AS ordered, sum(g.amount) AS amount,
                  sum(g.used * i.baseline_unit_price) AS base
             FROM monitoring_groups g JOIN items i ON i.round_id = $2 AND i.no = g.item_no
            WHERE g.round_no = $1 AND g.period <= $3 ${mf} GROUP BY g.${k})
    SELECT ag.k, ag.agreed, ${SUM_COLUMNS}, ${baseline} AS baseline
      FROM ag LEFT JOIN us ON us.k = ag.k`;
}

/** Grouped sums over the agreements of one hospital or one manufacturer, from their usage rows. */
function scopedSql(groupBy: GroupBy, scope: 'hospital' | 'manufacturer'): string {
  const k = groupBy === 'hospital' ? 'hospital_no' : KEY_COLUMN[groupBy];
  const baseline = groupBy === 'item' ? '(SELECT baseline_unit_price FROM items WHERE round_id = $2 AND no = us.k)' : 'NULL::numeric';
  return `WITH a AS MATERIALIZED (SELECT * FROM monitoring_agreements WHERE round_no = $1 AND ${scope === 'hospital' ? 'hospital_no' : 'manufacturer_no'} = $4),
    -- Each agreement sums its own usage rows by primary key (a hash join would read the round's usage whole).
    per AS (SELECT a.${k} AS k, a.agreed, s.used, s.nw, s.ordered, s.amount, coalesce(s.used, 0) * i.baseline_unit_price AS base
              FROM a ${AGREEMENT_SUMS('a')}
              JOIN items i ON i.round_id = $2 AND i.no = a.item_no),
    us AS MATERIALIZED (SELECT k, sum(agreed) AS agreed, sum(used) AS used, sum(nw) AS nw, sum(ordered) AS ordered, sum(amount) AS amount, sum(base) AS base
             FROM per GROUP BY k)
    SELECT us.k, us.agreed, ${SUM_COLUMNS}, ${baseline} AS baseline
      FROM us`;
}

/** Column expressions of a group's (or an agreement's) sums, for figuresSql. */
export interface SumsSql { agreed: string; used: string; nonWinning: string; ordered: string; amount: string; baselineAmount: string; baselineUnitPrice: string }

/**
 * SQL: the figures of src/rules/monitoring.ts figures() as columns named as the API names them (the
 * quantities as integers, so that row_to_json writes them as numbers; the rest as text), from the sums' column expressions, `elapsed` and `months` (expressions too). Ratios by ratio4, money
 * rounded to 4 places half up; paidUnitPrice and actualDrop only where a baseline unit price is given
 * (not NULL). The twin of figures() (test/api/monitoring.test.ts "rule twins" checks they agree); the
 * many-row reads compute figures here, where a row costs microseconds, not in decimal.js per row.
 */
export function figuresSql(s: SumsSql, elapsed: string, months: string): string {
  const { agreed: a, used: u, ordered: o, amount: m } = s;
  return `${a} AS "agreedQuantity", ratio4(${a} * ${elapsed}, ${months})::text AS expected, ${u} AS used,
    ${s.nonWinning} AS "nonWinningUsed", ${o} AS ordered, ratio4(${u}, ${a})::text AS completion,
    ratio4(${u} * ${months}, ${a} * ${elapsed})::text AS progress, ratio4(${u}, ${o})::text AS fulfilment,
    round(${m}, 4)::text AS amount, round(${s.baselineAmount} - ${m}, 4)::text AS savings,
    CASE WHEN ${s.baselineUnitPrice} IS NOT NULL THEN ratio4(${m}, ${u}) END::text AS "paidUnitPrice",
    CASE WHEN ${s.baselineUnitPrice} IS NOT NULL THEN ratio4(${s.baselineUnitPrice} * ${u} - ${m}, ${s.baselineUnitPrice} * ${u}) END::text AS "actualDrop"`;
}

/** A quantity column as the drivers return it (postgres.js: text; PGlite: a number or a bigint). */
type Quantity = string | number | bigint;

interface FigureRow {
  agreedQuantity: Quantity; expected: string; used: Quantity; nonWinningUsed: Quantity; ordered: Quantity; completion: string | null;
  progress: string | null; fulfilment: string | null; amount: string; savings: string; paidUnitPrice: string | null; actualDrop: string | null;
}

/** A row of figuresSql as the API shows it (quantities as numbers). */
export const figuresOf = (f: FigureRow): Figures => ({
  agreedQuantity: Number(f.agreedQuantity), expected: f.expected, used: Number(f.used), nonWinningUsed: Number(f.nonWinningUsed),
  ordered: Number(f.ordered), completion: f.completion, progress: f.progress, fulfilment: f.fulfilment, amount: f.amount,
  savings: f.savings, paidUnitPrice: f.paidUnitPrice, actualDrop: f.actualDrop,
});

/** The months that hold usage of the round's agreements (a few dozen at most), from the group rollup. */
async function usagePeriods(db: Queryable, r: RoundRow): Promise<number[]> {
  const rows = await db.query<{ period: number }>('SELECT period FROM monitoring_groups WHERE round_no = $1 GROUP BY period', [r.no]);
  return rows.map((x) => x.period);
}

/** What GET /monitoring answers, each row already as JSON text (see getMonitoringJson). */
export interface MonitoringJson { asOf: string; monthsElapsed: number; rows: string[] }

/**
 * GET /monitoring: one row per group at asOf (months ≤ asOf), figures from the group's sums
 * (figuresSql, the twin of src/rules/monitoring.ts figures()), each row as its JSON object, written
 * by PostgreSQL (row_to_json): by hospital a national round answers 50,000 rows, and building them as
 * objects in Node (decoding 13 columns, then JSON.stringify) cost twice what the query does.
 * `p` null reads everything (the report worker).
 */
export async function getMonitoringJson(db: Queryable, p: Principal | null, r: RoundRow, q: MonitoringQuery): Promise<MonitoringJson> {
  guardMonitoring(phaseOf(r));
  await prepareMonitoring(db, r);
  const asOf = asOfPeriod(q.asOf, q.now);
  const elapsed = monthsElapsed(contractStartOf(r), r.contractMonths, asOf);
  const scope = scopeOf(p);
  const params: unknown[] = [r.no, r.id, asOf];
  let sql: string;
  if (scope.kind === 'hospital' || (scope.kind === 'manufacturer' && q.groupBy === 'hospital')) {
    sql = scopedSql(q.groupBy, scope.kind);
    params.push(scope.no);
  } else {
    const path = q.groupBy === 'hospital' && scope.kind === 'all' ? (q.hospitalPath ?? hospitalPath(await usagePeriods(db, r), asOf)) : 'months';
    sql = rollupSql(q.groupBy, scope.kind === 'manufacturer', path);
    if (scope.kind === 'manufacturer') params.push(scope.no);
  }
  const e = `${params.push(elapsed)}`, m = `${params.push(r.contractMonths)}`;
  const { key, join } = KEYS[q.groupBy];
  const rows = await db.query<{ key: string; json: string }>(
    `SELECT f.key, row_to_json(f)::text AS json FROM (SELECT ${key} AS key, ${figuresSql({
      agreed: 'g.agreed', used: 'g.used', nonWinning: 'g.nw', ordered: 'g.ordered', amount: 'g.amount', baselineAmount: 'g.base',
      baselineUnitPrice: 'g.baseline',
    }, `$${e}::int`, `$${m}::int`)} FROM (${sql}) g ${join}) f`, params);
  // Keys compare as the API shows them (ids and codes), not by the database's collation.
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { asOf: periodText(asOf), monthsElapsed: elapsed, rows: rows.map((x) => x.json) };
}

/** The response body of GET /monitoring: the rows as written, inside the envelope. */
export const monitoringBody = (m: MonitoringJson): string =>
  `{"asOf":${JSON.stringify(m.asOf)},"monthsElapsed":${m.monthsElapsed},"rows":[${m.rows.join(',')}]}`;

/** GET /monitoring as objects (the report worker, tests): the same rows, parsed. */
export async function getMonitoring(db: Queryable, p: Principal | null, r: RoundRow, q: MonitoringQuery): Promise<Monitoring> {
  const m = await getMonitoringJson(db, p, r, q);
  return { asOf: m.asOf, monthsElapsed: m.monthsElapsed, rows: m.rows.map((x) => JSON.parse(x) as MonitoringRow) };
}

/** Numbered parameters for SQL built from parts. */
class Params {
  readonly values: unknown[];
  constructor(first: unknown[]) { this.values = [...first]; }
  add(v: unknown, type: string): string { this.values.push(v); return `$${this.values.length}::${type}`; }
}

const used = 'coalesce(s.used, 0)', nw = 'coalesce(s.nw, 0)';

/**
 * The alerts of one agreement `a` (with its usage sums `s` at asOf), one SELECT per type; $1 round
 * no, $2 round id, $3 asOf, $4 monthsElapsed, $5 contractMonths, $6–$10 the rules. The SQL twins
 * of the predicates in src/rules/monitoring.ts.
 */
const ALERT_SQL: Record<AlertType, string> = {
  behind_schedule: `SELECT 0 AS t, -1 AS period, ratio4(${used} * $5, a.agreed * $4) AS value, round($7::numeric, 4) AS threshold
     WHERE $4::int >= $6::int AND a.agreed > 0 AND $4::int > 0 AND ${used} * $5 < $7::numeric * a.agreed * $4`,
  delivery_mismatch: `SELECT 1 AS t, x.period, ratio4(abs(x.s - x.u), greatest(x.s, x.u)) AS value, round($10::numeric, 4) AS threshold
      FROM (SELECT d.period, d.shipped AS s, coalesce(u.received, 0) AS u
              FROM deliveries d
              LEFT JOIN usage u ON u.round_no = d.round_no AND u.hospital_no = d.hospital_no AND u.item_no = d.item_no
                               AND u.period = d.period AND u.product_no = a.product_no
             WHERE d.round_no = a.round_no AND d.hospital_no = a.hospital_no AND d.item_no = a.item_no AND d.period <= $3
            UNION ALL
            SELECT u.period, 0, u.received FROM usage u
             WHERE u.round_no = a.round_no AND u.hospital_no = a.hospital_no AND u.item_no = a.item_no AND u.product_no = a.product_no
               AND u.period <= $3
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.round_no = u.round_no AND d.hospital_no = u.hospital_no
                                  AND d.item_no = u.item_no AND d.period = u.period)) x
     WHERE greatest(x.s, x.u) > 0 AND abs(x.s - x.u) > $10::numeric * greatest(x.s, x.u)`,
  non_winning_share: `SELECT 2 AS t, -1 AS period, ratio4(${nw}, ${used} + ${nw}) AS value, round($8::numeric, 4) AS threshold
     WHERE ${used} + ${nw} > 0 AND ${nw} > $8::numeric * (${used} + ${nw})`,
  price_above_award: `SELECT 3 AS t, u.period, ratio4(u.amount, u.received) AS value, round(w.comparable_unit_price, 4) AS threshold
      FROM usage u,
           (SELECT comparable_unit_price FROM award_winners
             WHERE round_no = a.round_no AND item_no = a.item_no AND manufacturer_no = a.manufacturer_no) w
     WHERE u.round_no = a.round_no AND u.hospital_no = a.hospital_no AND u.item_no = a.item_no AND u.product_no = a.product_no
       AND u.period <= $3 AND u.received > 0 AND u.amount > w.comparable_unit_price * u.received`,
  supply_shortfall: `SELECT 4 AS t, -1 AS period, ratio4(${used}, s.ordered) AS value, round($9::numeric, 4) AS threshold
     WHERE s.ordered > 0 AND ${used} < $9::numeric * s.ordered`,
};

function alertParams(r: RoundRow, asOf: number): Params {
  const m = r.rules.monitoring;
  const elapsed = monthsElapsed(contractStartOf(r), r.contractMonths, asOf);
  return new Params([r.no, r.id, asOf, elapsed, r.contractMonths, m.graceMonths, m.minProgress, m.maxNonWinningShare, m.minFulfilment, m.maxDeliveryGap]);
}

function scopeSql(x: Params, scope: Scope): string {
  if (scope.kind === 'all') return '';
  return `AND a.${scope.kind === 'hospital' ? 'hospital_no' : 'manufacturer_no'} = ${x.add(scope.no, 'int')}`;
}

/**
 * The caller's agreements in key order, each with its alerts: `al` (t, period, value, threshold).
 * Types left out leave their rule parameters unused; each still gets a type.
 */
function alertsFrom(x: Params, scope: Scope, types: readonly AlertType[], where = '') {
  return `FROM monitoring_agreements a ${AGREEMENT_SUMS('a')}
    -- OFFSET 0 keeps the alerts a per-agreement subquery (flattened, one type's join was planned from award_winners with a sort).
    CROSS JOIN LATERAL (${types.map((t) => ALERT_SQL[t]).join(' UNION ALL ')} OFFSET 0) al
    CROSS JOIN (SELECT $4::int, $5::int, $6::int, $7::numeric, $8::numeric, $9::numeric, $10::numeric) AS rules
   WHERE a.round_no = $1 ${scopeSql(x, scope)} ${where}`;
}

interface AlertRow {
  t: number; hospital_no: number; item_no: number; period: number; value: string; threshold: string;
  hospital_id: string; manufacturer_id: string; item_code: string;
}

/**
 * GET /alerts: the caller's agreements in key order (hospital, item), each agreement's alerts by
 * type (in the order of ALERT_TYPES) and month; `?type=` keeps one. One statement that walks the
 * agreements and stops when the page is full.
 */
export async function listAlerts(db: Queryable, p: Principal | null, r: RoundRow, q: AlertQuery): Promise<{ data: Alert[]; nextCursor: string | null }> {
  guardMonitoring(phaseOf(r));
  await prepareMonitoring(db, r);
  const asOf = asOfPeriod(q.asOf, q.now);
  const limit = q.limit ?? 100;
  const cursor = decodeCursor(q.cursor, 4)?.map(Number) ?? null;
  if (cursor && cursor.some((v) => !Number.isInteger(v))) throw validation('The cursor is not one this server issued', [{ path: '/cursor', message: 'invalid cursor' }]);
  const x = alertParams(r, asOf);
  let where = '';
  if (cursor) {
    const [h, i, t, pe] = [x.add(cursor[0], 'int'), x.add(cursor[1], 'int'), x.add(cursor[2], 'int'), x.add(cursor[3], 'int')];
    // The first condition lets the walk start at the cursor's agreement; the second is the exact keyset.
    where = `AND (a.hospital_no, a.item_no) >= (${h}, ${i}) AND (a.hospital_no, a.item_no, al.t, al.period) > (${h}, ${i}, ${t}, ${pe})`;
  }
  const from = alertsFrom(x, scopeOf(p), q.type ? [q.type] : ALERT_TYPES, where);
  const rows = await db.query<AlertRow>(
    `SELECT y.t, y.hospital_no, y.item_no, y.period, y.value::text AS value, y.threshold::text AS threshold,
            (SELECT id FROM organizations WHERE no = y.hospital_no) AS hospital_id,
            (SELECT id FROM organizations WHERE no = y.manufacturer_no) AS manufacturer_id,
            (SELECT code FROM items WHERE round_id = $2 AND no = y.item_no) AS item_code
       FROM (SELECT a.hospital_no, a.item_no, a.manufacturer_no, al.t, al.period, al.value, al.threshold ${from}
              ORDER BY a.hospital_no, a.item_no, al.t, al.period LIMIT ${x.add(limit + 1, 'int')}) y
      ORDER BY y.hospital_no, y.item_no, y.t, y.period`, x.values);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return {
    data: page.map((a) => ({
      type: ALERT_TYPES[a.t], hospitalId: a.hospital_id, manufacturerId: a.manufacturer_id, itemCode: a.item_code,
      ...(a.period >= 0 ? { period: periodText(a.period) } : {}), value: a.value, threshold: a.threshold,
    })),
    nextCursor: more ? encodeCursor([last.hospital_no, last.item_no, last.t, last.period]) : null,
  };
}

/** How many alerts of each type the round has at asOf (the monitoring report): one walk over every agreement. */
export async function alertCounts(db: Queryable, r: RoundRow, asOf: string | undefined): Promise<Record<AlertType, number>> {
  guardMonitoring(phaseOf(r));
  await prepareMonitoring(db, r);
  const x = alertParams(r, asOfPeriod(asOf));
  const rows = await db.query<{ t: number; n: number }>(
    `SELECT al.t, count(*)::int AS n ${alertsFrom(x, { kind: 'all' }, ALERT_TYPES)} AND $2::text IS NOT NULL GROUP BY al.t`, x.values);
  const counts = Object.fromEntries(ALERT_TYPES.map((t) => [t, 0])) as Record<AlertType, number>;
  for (const row of rows) counts[ALERT_TYPES[row.t]] = Number(row.n);
  return counts;
}

interface AgreementSqlRow extends FigureRow { hospital_no: number; item_no: number; manufacturer_no: number }

/** Agreements per batch of agreementMonitoring (a server-side cursor's fetch on PostgreSQL). */
export const AGREEMENT_BATCH = 5000;

/**
 * Every agreement's figures at asOf (the monitoring report's CSV), in key order (hospital, item):
 * one statement read through a cursor, a batch at a time, so memory holds one batch whatever the
 * round's size. The agreements are walked in primary-key order, each joined to its usage rows by
 * the usage primary key: consecutive agreements read neighbouring usage pages (a month's upload is
 * stored in that order), where any other order reads the usage table at random. Integer keys come
 * back and are named here (hospitals, manufacturers and items are read once), figures in SQL
 * (figuresSql, the twin of src/rules/monitoring.ts figures()).
 */
export async function* agreementMonitoring(db: Db, r: RoundRow, asOf: string | undefined, batch = AGREEMENT_BATCH): AsyncGenerator<AgreementMonitoringRow[]> {
  guardMonitoring(phaseOf(r));
  await prepareMonitoring(db, r);
  const period = asOfPeriod(asOf);
  const elapsed = monthsElapsed(contractStartOf(r), r.contractMonths, period);
  const items = await db.query<{ no: number; code: string; baseline: string }>(
    'SELECT no, code, baseline_unit_price::text AS baseline FROM items WHERE round_id = $1', [r.id]);
  const orgs = await db.query<{ no: number; id: string }>(
    // A join to the union (an OR of two IN lists was planned as a subquery per organization: 25 s at national scale).
    `SELECT o.no, o.id FROM organizations o
       JOIN (SELECT hospital_no AS no FROM monitoring_agreed_hospitals WHERE round_no = $1
             UNION SELECT manufacturer_no FROM monitoring_agreed WHERE round_no = $1) k ON k.no = o.no`, [r.no]);
  const orgId = new Map(orgs.map((o) => [o.no, o.id]));
  const itemCode = new Map(items.map((i) => [i.no, i.code]));
  const u = 'coalesce(sum(u.received) FILTER (WHERE u.product_no = a.product_no), 0)';
  const rows = db.cursor<AgreementSqlRow>(
    `SELECT a.hospital_no, a.item_no, a.manufacturer_no, ${figuresSql({
      agreed: 'a.agreed', used: u, nonWinning: 'coalesce(sum(u.received) FILTER (WHERE u.product_no <> a.product_no), 0)',
      ordered: 'coalesce(sum(u.ordered) FILTER (WHERE u.product_no = a.product_no), 0)',
      amount: 'coalesce(sum(u.amount) FILTER (WHERE u.product_no = a.product_no), 0)',
      baselineAmount: `${u} * ($6::numeric[])[a.item_no]`, baselineUnitPrice: 'NULL::numeric',
    }, '$4::int', '$5::int')}
       FROM monitoring_agreements a
       LEFT JOIN usage u ON u.round_no = a.round_no AND u.hospital_no = a.hospital_no AND u.item_no = a.item_no AND u.period <= $3
      WHERE a.round_no = $1 AND $2::text IS NOT NULL
      GROUP BY a.round_no, a.hospital_no, a.item_no
      ORDER BY a.hospital_no, a.item_no`,
    [r.no, r.id, period, elapsed, r.contractMonths, byItemNo(items.map((i) => ({ no: i.no, value: i.baseline })))], batch);
  for await (const page of rows) {
    yield page.map((a) => {
      const { paidUnitPrice: _p, actualDrop: _d, ...f } = figuresOf(a);
      return { hospitalId: orgId.get(a.hospital_no)!, itemCode: itemCode.get(a.item_no)!, manufacturerId: orgId.get(a.manufacturer_no)!, ...f };
    });
  }
}

/**
 * The round's used quantity per contract month up to asOf beside what was expected by the end of
 * that month (Σ agreedQuantity × monthsElapsed / contractMonths), for the report's chart.
 */
export async function monthlyUsage(db: Queryable, r: RoundRow, asOf: string | undefined): Promise<MonthlyUsage[]> {
  guardMonitoring(phaseOf(r));
  await prepareMonitoring(db, r);
  const period = asOfPeriod(asOf);
  const start = contractStartOf(r);
  const [{ agreed }] = await db.query<{ agreed: string }>(
    'SELECT coalesce(sum(agreed), 0)::text AS agreed FROM monitoring_agreed WHERE round_no = $1', [r.no]);
  const used = await db.query<{ period: number; used: string }>(
    `SELECT period, sum(used)::text AS used FROM monitoring_groups WHERE round_no = $1 AND period BETWEEN $2 AND $3 GROUP BY period`,
    [r.no, start, period]);
  const byPeriod = new Map(used.map((u) => [u.period, Number(u.used)]));
  const out: MonthlyUsage[] = [];
  let cumulative = 0;
  for (let p = start; p <= Math.min(period, start + r.contractMonths - 1); p++) {
    const u = byPeriod.get(p) ?? 0;
    cumulative += u;
    out.push({ period: periodText(p), used: u, cumulativeUsed: cumulative, expected: ratio4(BigInt(agreed) * BigInt(monthsElapsed(start, r.contractMonths, p)), r.contractMonths)! });
  }
  return out;
}

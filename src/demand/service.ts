import type { Readable } from 'node:stream';
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import type { Queryable } from '../db/client.js';
import { appendEvent } from '../audit/service.js';
import { LineErrors, copyLine, copyStream, readBulk, type BulkRecord } from '../http/bulk.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { invalidInput, notFound, validation } from '../http/problem.js';
import { copyErrorLine, splitCsvHeader } from '../http/csv-copy.js';
import { loadItem, requireState, visibleRound, type RoundRow } from '../rounds/service.js';
import { MAX_QUANTITY } from './schemas.js';

/** SQL: is the hospital `h` under one of the round's regions ($n = the round's region codes)? */
export const inRoundRegions = (h: string, regionsParam: string) =>
  `EXISTS (SELECT 1 FROM unnest(${regionsParam}::text[]) rc WHERE starts_with(${h}.region_code, regexp_replace(rc, '(00)+$', '')))`;

async function checkManufacturer(tx: Queryable, id: string | null | undefined, path: string) {
  if (!id) return;
  const m = await tx.query(`SELECT 1 FROM organizations WHERE id = $1 AND kind = 'manufacturer'`, [id]);
  if (!m.length) throw invalidInput('No such manufacturer', [{ path, message: 'not a manufacturer' }]);
}

/** A hospital's own demand line; it replaces the earlier one. */
export async function putDemand(ctx: AppContext, p: Principal, roundId: string, itemCode: string, input: { quantity: number; preferredManufacturerId?: string | null }) {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId, true);
    if (!(await loadItem(tx, roundId, itemCode))) throw notFound('Item');
    requireState(r, 'demand');
    await checkManufacturer(tx, input.preferredManufacturerId, '/preferredManufacturerId');
    await tx.query(
      `INSERT INTO demand (round_id, item_code, hospital_id, quantity, preferred_manufacturer_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (round_id, item_code, hospital_id) DO UPDATE SET quantity = EXCLUDED.quantity,
         preferred_manufacturer_id = EXCLUDED.preferred_manufacturer_id`,
      [roundId, itemCode, p.orgId, input.quantity, input.preferredManufacturerId ?? null]);
    return { hospitalId: p.orgId!, itemCode, quantity: input.quantity, preferredManufacturerId: input.preferredManufacturerId ?? null };
  });
}

const DEMAND_FIELDS = new Set(['hospitalId', 'hospitalExternalId', 'itemCode', 'quantity', 'preferredManufacturerId']);

/** Checks what one line can show by itself; the rest (hospitals, items, scope, duplicates) is SQL over the whole upload. */
export function stageDemand({ line, record: r }: BulkRecord): string | { error: string } {
  for (const k in r) if (!DEMAND_FIELDS.has(k)) return { error: `unknown column ${k}` };
  const hid = r.hospitalId, hext = r.hospitalExternalId, item = r.itemCode, pref = r.preferredManufacturerId;
  if (hid === undefined && hext === undefined) return { error: 'hospitalId or hospitalExternalId is required' };
  if (typeof item !== 'string' && typeof item !== 'number') return { error: 'itemCode is required' };
  const q = r.quantity;
  let quantity: number;
  if (typeof q === 'number') quantity = q;
  else if (typeof q === 'string' && /^-?\d+$/.test(q)) quantity = Number(q);
  else return { error: q === undefined ? 'quantity is required' : 'quantity must be a whole number' };
  if (!Number.isInteger(quantity)) return { error: 'quantity must be a whole number' };
  if (quantity < 1) return { error: 'quantity must be at least 1' };
  if (quantity > MAX_QUANTITY) return { error: `quantity must be at most ${MAX_QUANTITY}` };
  return copyLine([line, hid === undefined ? null : String(hid), hext === undefined ? null : String(hext), String(item), quantity,
    pref === undefined || pref === null ? null : String(pref)]);
}

const CSV_COLUMNS: Record<string, string> = {
  hospitalId: 'hospital_id', hospitalExternalId: 'hospital_external_id', itemCode: 'item_code',
  quantity: 'quantity', preferredManufacturerId: 'preferred',
};

/** Lines whose fields are unusable by themselves (CSV records reach SQL unchecked). */
const FORMAT_CHECK = `
  SELECT line, message FROM (
    SELECT line, CASE
      WHEN hospital_id IS NULL AND hospital_external_id IS NULL THEN 'hospitalId or hospitalExternalId is required'
      WHEN item_code IS NULL THEN 'itemCode is required'
      WHEN quantity IS NULL THEN 'quantity is required'
      WHEN quantity ~ '^\\s*-[0-9]+\\s*$' THEN 'quantity must be at least 1'
      WHEN quantity !~ '^\\s*[0-9]+\\s*$' THEN 'quantity must be a whole number'
      WHEN length(ltrim(trim(quantity), '0')) > 10 OR trim(quantity)::numeric > ${MAX_QUANTITY} THEN 'quantity must be at most ${MAX_QUANTITY}'
      WHEN trim(quantity)::numeric < 1 THEN 'quantity must be at least 1'
    END AS message FROM demand_stage) x
   WHERE message IS NOT NULL ORDER BY line LIMIT 100`;

/** Fills demand_stage: CSV straight into COPY, NDJSON record by record. Throws 400 naming lines that cannot be read. */
async function stage(tx: Queryable, body: { stream: Readable; format: 'csv' | 'ndjson' }): Promise<void> {
  const errors = new LineErrors();
  if (body.format === 'csv') {
    const { columns, rest } = await splitCsvHeader(body.stream, CSV_COLUMNS);
    try {
      await tx.copyFrom(`COPY demand_stage (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`, rest);
    } catch (e) {
      const line = copyErrorLine(e);
      if (!line) throw e;
      throw validation('A line of the upload cannot be read; nothing was written', [line]);
    }
  } else {
    const state = { malformed: false, rows: 0 };
    await tx.copyFrom('COPY demand_stage (line, hospital_id, hospital_external_id, item_code, quantity, preferred) FROM STDIN',
      copyStream(readBulk(body.stream, body.format), errors, state, stageDemand));
  }
  errors.addAll(await tx.query<{ line: number; message: string }>(FORMAT_CHECK));
  if (errors.any) throw errors.problem(true);
}

/**
 * All-or-nothing upload: COPY into a staging table, set-based checks that
 * name bad lines (first 100), one INSERT (… ON CONFLICT once the round has
 * demand) that replaces the given keys.
 */
export async function bulkDemand(ctx: AppContext, p: Principal, roundId: string, body: { stream: Readable; format: 'csv' | 'ndjson' }) {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId, true);
    requireState(r, 'demand');
    // Record n of a CSV body is line n + 1 (the header is line 1); NDJSON lines are given explicitly.
    await tx.query(`CREATE TEMP TABLE demand_stage (line int GENERATED BY DEFAULT AS IDENTITY (START WITH 2), hospital_id text,
      hospital_external_id text, item_code text, quantity text, preferred text) ON COMMIT DROP`);
    await stage(tx, body);
    const rows = (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM demand_stage'))[0].n;
    if (rows === 0) throw invalidInput('The upload has no records');
    await tx.query('ANALYZE demand_stage');
    // Hospitals of the platform with whether they are under the round's regions: one small hash table.
    await tx.query(`CREATE TEMP TABLE demand_hospitals ON COMMIT DROP AS
      SELECT h.id, h.external_id, ${inRoundRegions('h', '$1')} AS in_scope FROM organizations h WHERE h.kind = 'hospital'`, [r.region_codes]);
    await tx.query('ANALYZE demand_hospitals');
    const bad = await tx.query<{ line: number; message: string }>(
      `SELECT s.line, CASE
          WHEN h.id IS NULL THEN 'unknown hospital ' || coalesce(s.hospital_id, s.hospital_external_id)
          WHEN NOT h.in_scope THEN 'hospital ' || h.id || ' is outside the alliance''s regions'
          WHEN i.code IS NULL THEN 'unknown item ' || s.item_code
          ELSE 'unknown manufacturer ' || s.preferred END AS message
         FROM demand_stage s
         LEFT JOIN demand_hospitals hi ON hi.id = s.hospital_id
         LEFT JOIN demand_hospitals hx ON s.hospital_id IS NULL AND hx.external_id = s.hospital_external_id
         CROSS JOIN LATERAL (SELECT coalesce(hi.id, hx.id) AS id, coalesce(hi.in_scope, hx.in_scope) AS in_scope) h
         LEFT JOIN items i ON i.round_id = $1 AND i.code = s.item_code
         LEFT JOIN organizations m ON m.id = s.preferred AND m.kind = 'manufacturer'
        WHERE h.id IS NULL OR NOT h.in_scope OR i.code IS NULL OR (s.preferred IS NOT NULL AND m.id IS NULL)
        ORDER BY s.line LIMIT 100`, [roundId]);
    if (bad.length) {
      const errors = new LineErrors();
      errors.addAll(bad);
      throw errors.problem(false);
    }
    // Merging in primary-key order appends to the index instead of inserting at random; the sort fits in memory.
    await tx.query(`SET LOCAL work_mem = '256MB'`);
    // A round's first upload is a plain INSERT: at national scale the conflict checks of an upsert
    // cost a third of the merge (24 s against 16 s for 3,000,000 rows).
    const first = (await tx.query<{ first: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM demand WHERE round_id = $1) AS first', [roundId]))[0].first;
    try {
      await tx.savepoint((sp) => sp.query(first ? INSERT_DEMAND : UPSERT_DEMAND, [roundId]));
    } catch (e: any) {
      // 21000: the upsert met a key twice; 23505: the insert met a key twice, or a row another
      // request committed since the check above. The savepoint has undone the attempt.
      if (e?.code !== '21000' && e?.code !== '23505') throw e;
      const repeated = await duplicateLines(tx);
      if (repeated.length) {
        const errors = new LineErrors();
        errors.addAll(repeated);
        throw errors.problem(false);
      }
      if (e.code !== '23505') throw e;
      await tx.query(UPSERT_DEMAND, [roundId]);
    }
    await tx.query('ANALYZE demand');
    await appendEvent(tx, roundId, { type: 'demand.uploaded', actor: actorOf(p), at: ctx.clock.now(), data: { rows } });
    return { rows };
  });
}

const MERGE_SELECT = `
  SELECT $1, s.item_code, coalesce(s.hospital_id, h.id), trim(s.quantity)::int, s.preferred
    FROM demand_stage s LEFT JOIN demand_hospitals h ON s.hospital_id IS NULL AND h.external_id = s.hospital_external_id
   ORDER BY 3, s.item_code`;
const INSERT_DEMAND = `INSERT INTO demand (round_id, item_code, hospital_id, quantity, preferred_manufacturer_id) ${MERGE_SELECT}`;
const UPSERT_DEMAND = `${INSERT_DEMAND}
  ON CONFLICT (round_id, hospital_id, item_code) DO UPDATE
    SET quantity = EXCLUDED.quantity, preferred_manufacturer_id = EXCLUDED.preferred_manufacturer_id`;

/** Lines whose (hospital, item) an earlier line of the same upload already gave. */
function duplicateLines(tx: Queryable) {
  return tx.query<{ line: number; message: string }>(
    `WITH k AS (SELECT s.line, coalesce(s.hospital_id, h.id) AS hospital, s.item_code FROM demand_stage s
                  LEFT JOIN demand_hospitals h ON s.hospital_id IS NULL AND h.external_id = s.hospital_external_id),
          w AS (SELECT line, hospital, item_code, min(line) OVER (PARTITION BY hospital, item_code) AS first,
                       count(*) OVER (PARTITION BY hospital, item_code) AS n FROM k)
     SELECT line, 'hospital ' || hospital || ' and item ' || item_code || ' repeat line ' || first AS message
       FROM w WHERE n > 1 AND line <> first ORDER BY line LIMIT 100`);
}

export async function listDemand(ctx: AppContext, p: Principal, r: RoundRow, q: { limit?: number; cursor?: string; itemCode?: string }) {
  const limit = q.limit ?? 100;
  if (p.role === 'hospital') {
    const after = decodeCursor(q.cursor, 1);
    const rows = await ctx.db.query(
      `SELECT item_code, hospital_id, quantity, preferred_manufacturer_id FROM demand
        WHERE round_id = $1 AND hospital_id = $2 AND item_code > $3 ORDER BY item_code LIMIT $4`,
      [r.id, p.orgId, after ? after[0] : '', limit + 1]);
    return toPage(rows, limit, (x: any) => [x.item_code], (x: any) => ({
      hospitalId: x.hospital_id, itemCode: x.item_code, quantity: x.quantity, preferredManufacturerId: x.preferred_manufacturer_id,
    }));
  }
  // Alliance, operator and bidders see totals per item (the volume on offer), never another hospital's lines.
  const after = decodeCursor(q.cursor, 1);
  const rows = await ctx.db.query(
    `SELECT i.code, count(d.hospital_id)::int AS hospitals, coalesce(sum(d.quantity), 0)::bigint::text AS quantity
       FROM items i LEFT JOIN demand d ON d.round_id = i.round_id AND d.item_code = i.code
      WHERE i.round_id = $1 AND i.code > $2 GROUP BY i.code ORDER BY i.code LIMIT $3`,
    [r.id, after ? after[0] : '', limit + 1]);
  return toPage(rows, limit, (x: any) => [x.code], (x: any) => ({ itemCode: x.code, hospitals: x.hospitals, quantity: Number(x.quantity) }));
}

import type { Queryable } from '../db/client.js';
import { regionPrefix } from '../rules/regions.js';

/** A hospital as bulk uploads name it: by id or external id, with its number, its city's (organizations.city) and whether it belongs to the round. */
export interface HospitalRef { no: number; id: string; city: number; inRound: boolean }

/** Every hospital of the platform by id and external id, marked in or out of the round's regions (one small read per upload). */
export async function hospitalIndex(db: Queryable, regionCodes: readonly string[]) {
  const rows = await db.query<{ no: number; id: string; external_id: string | null; region_code: string; city: number }>(
    `SELECT no, id, external_id, region_code, city FROM organizations WHERE kind = 'hospital'`);
  // The region rule of DOMAIN.md "Actors" in JS: a code is covered by a region when it starts with the region's prefix.
  const prefixes = regionCodes.map(regionPrefix);
  const byId = new Map<string, HospitalRef>();
  const byExternalId = new Map<string, HospitalRef>();
  for (const r of rows) {
    const ref = { no: r.no, id: r.id, city: r.city, inRound: prefixes.some((p) => r.region_code.startsWith(p)) };
    byId.set(r.id, ref);
    if (r.external_id !== null) byExternalId.set(r.external_id, ref);
  }
  return { byId, byExternalId };
}
export type HospitalIndex = Awaited<ReturnType<typeof hospitalIndex>>;

/** Every manufacturer's number by id. */
export async function manufacturerIndex(db: Queryable): Promise<Map<string, number>> {
  const rows = await db.query<{ no: number; id: string }>(`SELECT no, id FROM organizations WHERE kind = 'manufacturer'`);
  return new Map(rows.map((r) => [r.id, r.no]));
}

/** The round's items' numbers by code. */
export async function itemIndex(db: Queryable, roundId: string): Promise<Map<string, number>> {
  const rows = await db.query<{ no: number; code: string }>('SELECT no, code FROM items WHERE round_id = $1', [roundId]);
  return new Map(rows.map((r) => [r.code, r.no]));
}

/**
 * Values by item number as a dense array (index = no − 1, null where an item has none): a SQL array
 * parameter read as `($n::type[])[item_no]`, so a plan does not depend on the small tables' statistics.
 */
export function byItemNo<T>(rows: readonly { no: number; value: T }[]): (T | null)[] {
  const out: (T | null)[] = Array.from({ length: Math.max(0, ...rows.map((r) => r.no)) }, () => null);
  for (const r of rows) out[r.no - 1] = r.value;
  return out;
}

/** SQL: is the organization `h` under one of the regions in parameter `regionsParam` (a text[])? */
export const inRegionsSql = (h: string, regionsParam: string) =>
  `EXISTS (SELECT 1 FROM unnest(${regionsParam}::text[]) rc WHERE starts_with(${h}.region_code, regexp_replace(rc, '(00)+$', '')))`;

/**
 * Allocation units (DOMAIN.md "Supply regions") inside the database: the
 * province (44) or city (4401) number that organizations.province / .city hold,
 * and their six-digit codes in the API (440000, 440100).
 */
export type RegionLevel = 'province' | 'city';

/** SQL: the unit number of the organization aliased `h` at the round's level. */
export const unitSql = (h: string, level: RegionLevel) => (level === 'city' ? `${h}.city` : `${h}.province`);

/** 44 → "440000" (province), 4401 → "440100" (city). */
export const unitCode = (unit: number, level: RegionLevel): string =>
  level === 'city' ? `${String(unit).padStart(4, '0')}00` : `${String(unit).padStart(2, '0')}0000`;

/** SQL: the unit number of demand line `d` (its hospital's city, organizations.city) at the round's level. */
export const demandUnitSql = (d: string, level: RegionLevel) => (level === 'city' ? `${d}.city` : `(${d}.city / 100)::smallint`);

/** "440000" → 44 (province), "440100" → 4401 (city). */
export const unitOfCode = (code: string, level: RegionLevel): number => Number(level === 'city' ? code.slice(0, 4) : code.slice(0, 2));

/** SQL: the six-digit code of unit number `col` at the round's level. */
export const unitCodeSql = (col: string, level: RegionLevel) =>
  level === 'city' ? `lpad(${col}::text, 4, '0') || '00'` : `lpad(${col}::text, 2, '0') || '0000'`;

/** GB/T 2260 region codes: pure checks and the prefix rule of DOMAIN.md "Actors". */

/** Province-level prefixes in GB/T 2260 (incl. Taiwan, Hong Kong, Macao). */
const PROVINCES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82',
]);

/** null when valid, else why not. */
export function regionCodeProblem(code: unknown): string | null {
  if (typeof code !== 'string' || !/^\d{6}$/.test(code)) return 'a region code is 6 digits (GB/T 2260)';
  if (!PROVINCES.has(code.slice(0, 2))) return `${code} names no province (GB/T 2260)`;
  return null;
}

const REGION_CODE = /^\d{6}$/;

/** Six digits, not all zero. */
export function isValidRegionCode(code: string): boolean {
  return typeof code === 'string' && REGION_CODE.test(code) && code !== '000000';
}

/** The code less its trailing "00" pairs: 130000 → 13, 130100 → 1301, 130110 → 130110. */
export function regionPrefix(code: string): string {
  let p = code;
  while (p.length >= 2 && p.endsWith('00')) p = p.slice(0, -2);
  return p;
}

/** A region covers every code starting with its prefix (130000 covers 130100 and 130102). */
export function regionCovers(regionCode: string, target: string): boolean {
  if (!isValidRegionCode(regionCode) || !isValidRegionCode(target)) return false;
  return target.startsWith(regionPrefix(regionCode));
}

/** Allocation unit of a hospital region: 440103 → 440000 (province) or 440100 (city). */
export function unitOf(regionCode: string, level: 'province' | 'city'): string {
  return level === 'province' ? `${regionCode.slice(0, 2)}0000` : `${regionCode.slice(0, 4)}00`;
}

// Exact decimal arithmetic for money, ratios and derived figures.
// DOMAIN.md: compare at full precision, round half up only for output.
import { Decimal } from 'decimal.js';

/** Decimal constructor used everywhere in jicai (50 significant digits, half up). */
export const D = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_UP });
export type Dec = InstanceType<typeof D>;

const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/** 4-place output string, half up; null passes through. */
export function fmt4(d: Dec | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  const s = d.toFixed(4, D.ROUND_HALF_UP);
  // A tiny negative figure would print "-0.0000"; the API shows zero without sign.
  return s === '-0.0000' ? '0.0000' : s;
}

/** Parses a plain decimal string ("12", "-0.5"); anything else (exponents, "+", spaces, "") → null. */
export function parseMoney(s: string): Dec | null {
  if (typeof s !== 'string' || !PLAIN_DECIMAL.test(s)) return null;
  return new D(s);
}

/** True for a plain decimal string (the API's wire form for money and ratios). */
export function isDecimalString(s: unknown): s is string {
  return typeof s === 'string' && PLAIN_DECIMAL.test(s);
}

/** Arithmetic mean; null for an empty list. */
export function mean(values: readonly Dec[]): Dec | null {
  if (values.length === 0) return null;
  return values.reduce((acc, v) => acc.plus(v), new D(0)).div(values.length);
}

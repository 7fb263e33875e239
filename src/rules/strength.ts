// Strength units and the strength price factor r^log2(ref / strength) (DOMAIN.md "Items and comparable prices").
import { D, type Dec, parseMoney } from './decimal.js';

export type Dimension = 'mass' | 'volume' | 'IU' | 'U';

export interface NormalizedUnit {
  dimension: Dimension;
  /** Canonical spelling: g, mg, µg (U+00B5), l, ml, IU, U. */
  canonical: string;
  /** Multiplier to the dimension's base unit (mass: µg, volume: ml, IU/U: themselves). */
  toBase: Dec;
}

export interface Strength {
  value: string;
  unit: string;
}

// Mass base is µg so every mass unit converts with an integer multiplier.
const UNITS: Record<string, NormalizedUnit> = {
  g: { dimension: 'mass', canonical: 'g', toBase: new D(1_000_000) },
  mg: { dimension: 'mass', canonical: 'mg', toBase: new D(1000) },
  'µg': { dimension: 'mass', canonical: 'µg', toBase: new D(1) },
  l: { dimension: 'volume', canonical: 'l', toBase: new D(1000) },
  ml: { dimension: 'volume', canonical: 'ml', toBase: new D(1) },
  iu: { dimension: 'IU', canonical: 'IU', toBase: new D(1) },
  u: { dimension: 'U', canonical: 'U', toBase: new D(1) },
};

/**
 * Resolves a unit spelling. Case does not matter (no two units differ only by case);
 * µg, mcg and ug are one unit, with µ as MICRO SIGN U+00B5 or GREEK MU U+03BC
 * (upper-case Μ U+039C lower-cases to μ, so "ΜG" is µg as well).
 */
export function normalizeUnit(unit: string): NormalizedUnit | null {
  if (typeof unit !== 'string') return null;
  let key = unit.toLowerCase();
  if (key === 'mcg' || key === 'ug' || key === '\u03bcg' || key === '\u00b5g') key = 'µg';
  return Object.prototype.hasOwnProperty.call(UNITS, key) ? UNITS[key]! : null;
}

export function isKnownUnit(unit: string): boolean {
  return normalizeUnit(unit) !== null;
}

/** Two units convert into one another (same dimension; IU and U convert to nothing else). */
export function unitsCompatible(a: string, b: string): boolean {
  const ua = normalizeUnit(a);
  const ub = normalizeUnit(b);
  return ua !== null && ub !== null && ua.dimension === ub.dimension;
}

/** Strength in its dimension's base unit, or null when the value or unit is unusable. */
function toBase(s: Strength): { dimension: Dimension; amount: Dec } | null {
  const u = normalizeUnit(s.unit);
  const v = parseMoney(s.value);
  if (u === null || v === null || v.lte(0)) return null;
  return { dimension: u.dimension, amount: v.times(u.toBase) };
}

/**
 * ratio ^ log2(numerator / denominator). When the quotient is a power of two the
 * exponent is snapped to that integer so e.g. 1.7^1 is exactly 1.7 (0.30 × 1.7 = 0.51).
 */
function powLog2(ratio: Dec, numerator: Dec, denominator: Dec): Dec {
  // 50-digit log2/pow costs about a millisecond, and a round has few distinct
  // (ratio, strength, strength) triples: remember them (bids are a hot path).
  const key = `${ratio.toString()}|${numerator.toString()}|${denominator.toString()}`;
  let hit = powCache.get(key);
  if (hit === undefined) {
    if (powCache.size >= 10_000) powCache.clear();
    hit = computePowLog2(ratio, numerator, denominator);
    powCache.set(key, hit);
  }
  return hit;
}

const powCache = new Map<string, Dec>();

function computePowLog2(ratio: Dec, numerator: Dec, denominator: Dec): Dec {
  const q = numerator.div(denominator);
  if (q.eq(1)) return new D(1);
  let exp = D.log2(q);
  const k = exp.toDecimalPlaces(0);
  if (new D(2).pow(k).eq(q)) exp = k;
  return ratio.pow(exp);
}

/** Both strengths in one base unit, [] for the strengthless pair, null when they don't match. */
function comparable(ref: Strength | null, strength: Strength | null): [Dec, Dec] | [] | null {
  if (ref === null && strength === null) return [];
  if (ref === null || strength === null) return null;
  const r = toBase(ref);
  const s = toBase(strength);
  if (r === null || s === null || r.dimension !== s.dimension) return null;
  return [r.amount, s.amount];
}

/**
 * Factor turning a product unit price into a comparable unit price:
 * ratio ^ log2(refStrength / strength). 1 for consumables (both strengths null);
 * null when the product does not match the item (unconvertible units, one side
 * missing, a value ≤ 0, or a ratio ≤ 0).
 */
export function strengthFactor(ratio: Dec, ref: Strength | null, strength: Strength | null): Dec | null {
  if (!ratio.isFinite() || ratio.lte(0)) return null;
  const pair = comparable(ref, strength);
  if (pair === null) return null;
  if (pair.length === 0) return new D(1);
  return powLog2(ratio, pair[0], pair[1]);
}

/**
 * Reference units counted for one product unit in usage reports:
 * ratio ^ log2(strength / refStrength), the inverse of strengthFactor.
 * Same null rules as strengthFactor.
 */
export function referenceUnitsPerProductUnit(ratio: Dec, ref: Strength | null, strength: Strength | null): Dec | null {
  if (!ratio.isFinite() || ratio.lte(0)) return null;
  const pair = comparable(ref, strength);
  if (pair === null) return null;
  if (pair.length === 0) return new D(1);
  return powLog2(ratio, pair[1], pair[0]);
}

/** A product matches an item when its strength converts to the item's reference strength. */
export function strengthMatches(ref: Strength | null, strength: Strength | null): boolean {
  return comparable(ref, strength) !== null;
}

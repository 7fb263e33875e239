// Regions (GB/T 2260) and supply allocation at award
// (DOMAIN.md "Actors" region rule and "Supply regions and agreed volumes").
import { D, type Dec } from './decimal.js';

export { isValidRegionCode, regionPrefix, regionCovers, unitOf } from './regions.js';

function toBigInt(v: bigint | number): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new RangeError(`demand must be an integer, got ${v}`);
  return BigInt(v);
}

export interface UnitDemand {
  code: string;
  demand: bigint | number;
}

export interface RankedWinner {
  manufacturerId: string;
  rank: number;
  /** Unit codes at the round's regionLevel, most wanted first. */
  preferences: string[];
}

/** Units ordered by total demand, largest first, ties by code; repeated codes are summed. */
export function orderUnits(units: readonly UnitDemand[]): string[] {
  const totals = new Map<string, bigint>();
  for (const u of units) totals.set(u.code, (totals.get(u.code) ?? 0n) + toBigInt(u.demand));
  return [...totals.entries()]
    .sort(([ca, da], [cb, db]) => (da !== db ? (da > db ? -1 : 1) : ca < cb ? -1 : ca > cb ? 1 : 0))
    .map(([code]) => code);
}

/**
 * Assigns every unit to one winner. A single winner takes all; otherwise winners take
 * turns in rank order, one unit per turn: the first free unit on their preference
 * list (codes that are no unit are ignored), else the largest free unit.
 */
export function allocateUnits(units: readonly UnitDemand[], winners: readonly RankedWinner[]): Map<string, string> {
  const ordered = orderUnits(units);
  const result = new Map<string, string>();
  if (winners.length === 0) return result;
  const byRank = [...winners].sort((a, b) => a.rank - b.rank);
  if (byRank.length === 1) {
    for (const code of ordered) result.set(code, byRank[0]!.manufacturerId);
    return result;
  }
  const free = new Set(ordered);
  while (free.size > 0) {
    for (const w of byRank) {
      if (free.size === 0) break;
      const pick = w.preferences.find((c) => free.has(c)) ?? ordered.find((c) => free.has(c))!;
      free.delete(pick);
      result.set(pick, w.manufacturerId);
    }
  }
  return result;
}

/**
 * Supplier of one hospital for an item: its preferred manufacturer when that one won,
 * else the winner of its unit (undefined when the unit has none).
 */
export function supplierFor(
  preferredManufacturerId: string | null | undefined,
  unitWinner: string | undefined,
  winnerIds: ReadonlySet<string>,
): string | undefined {
  return preferredManufacturerId != null && winnerIds.has(preferredManufacturerId) ? preferredManufacturerId : unitWinner;
}

/** round_half_up(demand × agreedVolumeRatio). */
export function agreedQuantity(demand: number | bigint, ratio: Dec): number {
  return new D(demand.toString()).times(ratio).toDecimalPlaces(0, D.ROUND_HALF_UP).toNumber();
}

/**
 * Round weightedDrop: 1 − Σ(comparable × qty) / Σ(baseline × qty) over all
 * agreements, from sums of those products (per winner, as award stores them);
 * null without agreements or with a zero baseline sum.
 */
export function weightedDrop(sums: readonly { amount: Dec; baselineAmount: Dec }[]): Dec | null {
  let paid = new D(0);
  let base = new D(0);
  for (const s of sums) { paid = paid.plus(s.amount); base = base.plus(s.baselineAmount); }
  return base.gt(0) ? new D(1).minus(paid.div(base)) : null;
}

// Monitoring maths of DOMAIN.md "Monitoring (contract period)": months, ratios and the alert
// predicates. No I/O. SQL holds the twins of ratio4 and of the predicates for the many-row paths
// (alerts, the per-agreement export); test/api/rule-twins.test.ts checks that both agree.
import { D, fmt4, type Dec } from './decimal.js';
import type { MonitoringRules } from './presets.js';

export const ALERT_TYPES = ['behind_schedule', 'delivery_mismatch', 'non_winning_share', 'price_above_award', 'supply_shortfall'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

const YEAR_MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** "2026-04" → a month number (year × 12 + month − 1), the `period` of the storage; null when malformed. */
export function periodOf(ym: string): number | null {
  const m = YEAR_MONTH.exec(ym);
  return m ? Number(m[1]) * 12 + Number(m[2]) - 1 : null;
}

/** A month number → "YYYY-MM". */
export function periodText(p: number): string {
  return `${String(Math.floor(p / 12)).padStart(4, '0')}-${String((p % 12) + 1).padStart(2, '0')}`;
}

/** The UTC month of an instant as a month number. */
export const periodAt = (d: Date): number => d.getUTCFullYear() * 12 + d.getUTCMonth();

/** Months from contractStart to asOf, both included, between 0 and contractMonths. */
export function monthsElapsed(contractStart: number, contractMonths: number, asOf: number): number {
  return Math.min(contractMonths, Math.max(0, asOf - contractStart + 1));
}

/** The months of the contract period (first and last, month numbers). */
export const contractSpan = (contractStart: number, contractMonths: number) => ({ first: contractStart, last: contractStart + contractMonths - 1 });

type Num = Dec | string | number | bigint;
const dec = (v: Num): Dec => new D(typeof v === 'bigint' ? v.toString() : v);

/**
 * a / b to 4 places, half up (away from zero), from the exact quotient; null when b is 0.
 * An integer quotient of (|a| × 20000 + |b|) by 2|b|, as the SQL function ratio4 computes it.
 */
export function ratio4(a: Num, b: Num): string | null {
  const x = dec(a), y = dec(b);
  if (y.isZero()) return null;
  const q = x.abs().times(20000).plus(y.abs()).div(y.abs().times(2)).floor();
  const signed = x.isNeg() !== y.isNeg() && !q.isZero() ? q.neg() : q;
  return fmt4(signed.div(10000));
}

/** The sums of a group of agreements (or of one agreement) at asOf. */
export interface UsageSums {
  agreed: Num; used: Num; nonWinning: Num; ordered: Num; amount: Num;
  /** Σ baselineUnitPrice × used (the agreements' own product). */
  baselineAmount: Num;
}

export interface Figures {
  agreedQuantity: number; expected: string; used: number; nonWinningUsed: number; ordered: number;
  completion: string | null; progress: string | null; fulfilment: string | null;
  amount: string; savings: string; paidUnitPrice: string | null; actualDrop: string | null;
}

/**
 * The figures of one row of GET /monitoring from its sums. paidUnitPrice and actualDrop only when
 * `baselineUnitPrice` is given (grouped by item); ratios from the sums at full precision.
 */
export function figures(s: UsageSums, elapsed: number, contractMonths: number, baselineUnitPrice?: Num): Figures {
  const agreed = dec(s.agreed), used = dec(s.used), ordered = dec(s.ordered), amount = dec(s.amount);
  const expectedNum = agreed.times(elapsed); // expected = expectedNum / contractMonths
  const paid = baselineUnitPrice === undefined ? null : ratio4(amount, used);
  let actualDrop: string | null = null;
  if (baselineUnitPrice !== undefined && !used.isZero()) {
    // 1 − (amount / used) / baseline = (baseline × used − amount) / (baseline × used)
    const base = dec(baselineUnitPrice).times(used);
    actualDrop = ratio4(base.minus(amount), base);
  }
  return {
    agreedQuantity: agreed.toNumber(),
    expected: ratio4(expectedNum, contractMonths)!,
    used: used.toNumber(), nonWinningUsed: dec(s.nonWinning).toNumber(), ordered: ordered.toNumber(),
    completion: ratio4(used, agreed),
    progress: expectedNum.isZero() ? null : ratio4(used.times(contractMonths), expectedNum),
    fulfilment: ratio4(used, ordered),
    amount: fmt4(amount)!,
    savings: fmt4(dec(s.baselineAmount).minus(amount))!,
    paidUnitPrice: paid,
    actualDrop,
  };
}

/** behind_schedule: monthsElapsed ≥ graceMonths and progress < minProgress (progress = used / expected, expected > 0). */
export function behindSchedule(rules: MonitoringRules, elapsed: number, contractMonths: number, agreed: Num, used: Num): boolean {
  if (elapsed < rules.graceMonths) return false;
  const expectedNum = dec(agreed).times(elapsed);
  if (expectedNum.isZero()) return false;
  // used / (expectedNum / M) < minProgress  ⇔  used × M < minProgress × expectedNum
  return dec(used).times(contractMonths).lt(dec(rules.minProgress).times(expectedNum));
}

/** price_above_award: received > 0 and amount / received above the comparable unit price. */
export const priceAboveAward = (received: Num, amount: Num, comparableUnitPrice: Num): boolean =>
  dec(received).gt(0) && dec(amount).gt(dec(comparableUnitPrice).times(dec(received)));

/** non_winning_share: nonWinningUsed / (used + nonWinningUsed) > maxNonWinningShare. */
export function nonWinningShare(rules: MonitoringRules, used: Num, nonWinning: Num): boolean {
  const all = dec(used).plus(dec(nonWinning));
  return all.gt(0) && dec(nonWinning).gt(dec(rules.maxNonWinningShare).times(all));
}

/** supply_shortfall: fulfilment = used / ordered < minFulfilment (nothing ordered: no fulfilment, no alert). */
export const supplyShortfall = (rules: MonitoringRules, used: Num, ordered: Num): boolean =>
  dec(ordered).gt(0) && dec(used).lt(dec(rules.minFulfilment).times(dec(ordered)));

/** delivery_mismatch: shipped and received differ by more than maxDeliveryGap of the larger. */
export function deliveryMismatch(rules: MonitoringRules, shipped: Num, received: Num): boolean {
  const s = dec(shipped), r = dec(received);
  const larger = D.max(s, r);
  return larger.gt(0) && s.minus(r).abs().gt(dec(rules.maxDeliveryGap).times(larger));
}

/** The gap that delivery_mismatch reports: |shipped − received| / max(shipped, received). */
export const deliveryGap = (shipped: Num, received: Num): string | null => {
  const s = dec(shipped), r = dec(received);
  return ratio4(s.minus(r).abs(), D.max(s, r));
};

import { describe, expect, it } from 'vitest';
import {
  behindSchedule, deliveryGap, deliveryMismatch, figures, monthsElapsed, nonWinningShare, periodOf, periodText, priceAboveAward, ratio4, supplyShortfall,
} from '../../src/rules/monitoring.js';
import { resolveRules } from '../../src/rules/presets.js';

const rules = (() => { const r = resolveRules({ preset: 'nvbp' }); if (!r.ok) throw new Error('preset'); return r.rules.monitoring; })();

describe('rules/monitoring', () => {
  it('months as numbers', () => {
    expect(periodOf('2026-01')).toBe(2026 * 12);
    expect(periodOf('2026-12')).toBe(2026 * 12 + 11);
    for (const bad of ['2026-13', '2026-00', '2026-1', '26-01', '2026-01-01', '']) expect(periodOf(bad)).toBeNull();
    expect(periodText(2026 * 12 + 2)).toBe('2026-03');
    expect(periodText(periodOf('0999-07')!)).toBe('0999-07');
  });

  it('monthsElapsed: both ends included, between 0 and contractMonths', () => {
    const start = periodOf('2026-03')!;
    expect(monthsElapsed(start, 12, periodOf('2026-02')!)).toBe(0);
    expect(monthsElapsed(start, 12, start)).toBe(1);
    expect(monthsElapsed(start, 12, periodOf('2026-06')!)).toBe(4);
    expect(monthsElapsed(start, 12, periodOf('2027-02')!)).toBe(12);
    expect(monthsElapsed(start, 12, periodOf('2030-01')!)).toBe(12);
  });

  it('ratio4: 4 places, half up from the exact quotient', () => {
    expect(ratio4(1, 3)).toBe('0.3333');
    expect(ratio4(2, 3)).toBe('0.6667');
    expect(ratio4(1, 8)).toBe('0.1250');
    expect(ratio4(1, 80000)).toBe('0.0000'); // 0.0000125
    expect(ratio4(1, 20000)).toBe('0.0001'); // 0.00005 exactly: half up
    expect(ratio4(-1, 20000)).toBe('-0.0001'); // away from zero
    expect(ratio4(-1, 80000)).toBe('0.0000'); // no "-0.0000"
    expect(ratio4(5, 0)).toBeNull();
    expect(ratio4('1018.5', 1950)).toBe('0.5223');
    expect(ratio4('0.00004999999999999999999', 1)).toBe('0.0000');
  });

  it('figures of a group from its sums', () => {
    // DOMAIN.md: expected = agreed × m / M; progress = used / expected; savings = Σ baseline × used − amount.
    expect(figures({ agreed: 8000, used: 1950, nonWinning: 150, ordered: 2000, amount: '1018.5', baselineAmount: '4875' }, 4, 12, '2.5')).toEqual({
      agreedQuantity: 8000, expected: '2666.6667', used: 1950, nonWinningUsed: 150, ordered: 2000, completion: '0.2438', progress: '0.7313',
      fulfilment: '0.9750', amount: '1018.5000', savings: '3856.5000', paidUnitPrice: '0.5223', actualDrop: '0.7911',
    });
    const none = figures({ agreed: 4000, used: 0, nonWinning: 0, ordered: 0, amount: 0, baselineAmount: 0 }, 0, 12, '2.5');
    expect(none).toMatchObject({ expected: '0.0000', completion: '0.0000', progress: null, fulfilment: null, paidUnitPrice: null, actualDrop: null });
    // Not by item: no paid price, no drop.
    expect(figures({ agreed: 1, used: 1, nonWinning: 0, ordered: 1, amount: 1, baselineAmount: 2 }, 1, 1)).toMatchObject({ paidUnitPrice: null, actualDrop: null });
    // Paid above baseline: a negative drop and negative savings.
    expect(figures({ agreed: 10, used: 10, nonWinning: 0, ordered: 10, amount: 30, baselineAmount: 25 }, 12, 12, '2.5'))
      .toMatchObject({ paidUnitPrice: '3.0000', actualDrop: '-0.2000', savings: '-5.0000' });
  });

  it('alert predicates at their thresholds', () => {
    // behind_schedule: grace 3, minProgress 0.8. agreed 1200 over 12 months: expected 100 a month.
    expect(behindSchedule(rules, 2, 12, 1200, 0)).toBe(false); // inside the grace months
    expect(behindSchedule(rules, 3, 12, 1200, 239)).toBe(true); // 239 / 300 < 0.8
    expect(behindSchedule(rules, 3, 12, 1200, 240)).toBe(false); // exactly 0.8
    expect(behindSchedule(rules, 3, 12, 0, 0)).toBe(false); // expected 0: no progress
    expect(priceAboveAward(600, '330', '0.51')).toBe(true);
    expect(priceAboveAward(650, '331.5', '0.51')).toBe(false); // exactly the award price
    expect(priceAboveAward(0, '10', '0.51')).toBe(false);
    expect(nonWinningShare(rules, 700, 300)).toBe(false); // exactly 0.3
    expect(nonWinningShare(rules, 699, 300)).toBe(true);
    expect(nonWinningShare(rules, 0, 0)).toBe(false);
    expect(supplyShortfall(rules, 95, 100)).toBe(false); // exactly 0.95
    expect(supplyShortfall(rules, 94, 100)).toBe(true);
    expect(supplyShortfall(rules, 0, 0)).toBe(false);
    expect(deliveryMismatch(rules, 100, 95)).toBe(false); // 5 / 100 = 0.05
    expect(deliveryMismatch(rules, 100, 94)).toBe(true);
    expect(deliveryMismatch(rules, 450, 400)).toBe(true);
    expect(deliveryGap(450, 400)).toBe('0.1111');
    expect(deliveryMismatch(rules, 0, 500)).toBe(true); // one side only
    expect(deliveryMismatch(rules, 0, 0)).toBe(false);
  });
});

import { describe, it, expect } from 'vitest';
import { D, fmt4 } from '../../src/rules/decimal.js';
import {
  comparableUnitPrice,
  evaluateItem,
  ProductMismatchError,
  roundDrops,
  type BidResult,
  type ItemResult,
} from '../../src/rules/selection.js';
import { bid, item, rules } from './fixtures.js';

/** [manufacturerId, candidateBy, rank, winner] per bid, input order. */
const summary = (r: ItemResult) => r.bids.map((b) => [b.manufacturerId, b.candidateBy, b.rank, b.winner]);
const byId = (r: ItemResult, id: string): BidResult => r.bids.find((b) => b.manufacturerId === id)!;
const nulls = {
  lowest: null,
  anchor: null,
  maxWinners: null,
  agreedVolumeRatio: null,
  priceDrop: null,
};

describe('comparableUnitPrice', () => {
  it('divides by pack size then applies the strength factor', () => {
    const p = comparableUnitPrice(item(), new D('4.20'), 14, { value: '10', unit: 'mg' })!;
    expect(fmt4(p.unitPrice)).toBe('0.3000');
    expect(p.comparableUnitPrice.eq('0.51')).toBe(true);
  });
  it('is the unit price for consumables', () => {
    const p = comparableUnitPrice(item({ referenceStrength: null, category: 'consumable' }), new D('100'), 3, null)!;
    expect(p.comparableUnitPrice.eq(p.unitPrice)).toBe(true);
    expect(fmt4(p.unitPrice)).toBe('33.3333');
  });
  it('is null for an unconvertible strength or a bad pack size', () => {
    expect(comparableUnitPrice(item(), new D(1), 1, { value: '20', unit: 'ml' })).toBeNull();
    expect(comparableUnitPrice(item(), new D(1), 1, null)).toBeNull();
    expect(comparableUnitPrice(item(), new D(1), 0, { value: '20', unit: 'mg' })).toBeNull();
    expect(comparableUnitPrice(item(), new D(1), 1.5, { value: '20', unit: 'mg' })).toBeNull();
  });
});

describe('eligibility', () => {
  it('gives the first reason that applies', () => {
    const r = evaluateItem(
      item(),
      [
        bid('A', '1.00'),
        bid('B', '1.00', { productVerified: false, qualityTier: 'not_evaluated', manufacturerSuspended: true }),
        bid('C', '1.00', { qualityTier: 'not_evaluated', manufacturerSuspended: true }),
        bid('D', '1.00', { manufacturerSuspended: true }),
        bid('E', '1.00', { productVerified: false }),
        bid('F', '1.00', { qualityTier: 'not_evaluated' }),
      ],
      rules(),
    );
    expect(r.bids.map((b) => [b.manufacturerId, b.eligible, b.reason])).toStrictEqual([
      ['A', true, null],
      ['B', false, 'unverified_product'],
      ['C', false, 'quality_tier'],
      ['D', false, 'manufacturer_suspended'],
      ['E', false, 'unverified_product'],
      ['F', false, 'quality_tier'],
    ]);
    expect(r.eligibleBidders).toBe(1);
    for (const b of r.bids.slice(1)) {
      expect([b.candidateBy, b.rank, b.winner]).toStrictEqual([null, null, false]);
    }
  });

  it('gives objection_upheld last: only to a bid no earlier reason applies to', () => {
    const r = evaluateItem(item(), [
      bid('A', '1.00'),
      bid('B', '1.00', { objectionUpheld: true }),
      bid('C', '1.00', { objectionUpheld: true, manufacturerSuspended: true }),
      bid('D', '1.00', { objectionUpheld: true, productVerified: false }),
      bid('E', '1.00', { objectionUpheld: true, qualityTier: 'not_evaluated' }),
    ], rules());
    expect(r.bids.map((b) => [b.manufacturerId, b.eligible, b.reason])).toStrictEqual([
      ['A', true, null], ['B', false, 'objection_upheld'], ['C', false, 'manufacturer_suspended'],
      ['D', false, 'unverified_product'], ['E', false, 'quality_tier'],
    ]);
    expect(r.eligibleBidders).toBe(1);
  });

  it('accepts the default tiers and the round tiers', () => {
    const r = evaluateItem(
      item(),
      [bid('O', '1'), bid('R', '1', { qualityTier: 'reference' }), bid('C', '1', { qualityTier: 'consistency_passed' })],
      rules(),
    );
    expect(r.bids.every((b) => b.eligible)).toBe(true);
    const narrow = evaluateItem(item(), [bid('O', '1', { qualityTier: 'originator' }), bid('R', '1', { qualityTier: 'reference' })], rules({ eligibleQualityTiers: ['originator'] }));
    expect(narrow.bids.map((b) => b.reason)).toStrictEqual([null, 'quality_tier']);
  });

  it('uses the item tiers when the item sets them (consumables)', () => {
    const stent = item({ code: 'STENT', category: 'consumable', referenceStrength: null, eligibleQualityTiers: ['class_iii'], maxUnitPrice: '1000', baselineUnitPrice: '13000' });
    const r = evaluateItem(
      stent,
      [
        bid('A', '590', { strength: null, qualityTier: 'class_iii' }),
        bid('B', '700', { strength: null, qualityTier: 'originator' }),
        bid('C', '650', { strength: null, qualityTier: 'class_iii', productVerified: false }),
      ],
      rules(),
    );
    expect(r.bids.map((b) => [b.eligible, b.reason])).toStrictEqual([
      [true, null],
      [false, 'quality_tier'],
      [false, 'unverified_product'],
    ]);
    expect(fmt4(byId(r, 'A').comparableUnitPrice)).toBe('590.0000');
    expect(r.outcome).toBe('awarded');
    expect(fmt4(r.priceDrop)).toBe(fmt4(new D(1).minus(new D(590).div(13000))));
  });

  it('refuses to evaluate a product that does not match the item', () => {
    expect(() => evaluateItem(item(), [bid('A', '1', { strength: { value: '20', unit: 'ml' } })], rules())).toThrow(
      ProductMismatchError,
    );
    expect(() => evaluateItem(item(), [bid('A', '1', { strength: null })], rules())).toThrow(ProductMismatchError);
    const iu = item({ referenceStrength: { value: '400', unit: 'IU' } });
    expect(() => evaluateItem(iu, [bid('A', '1', { strength: { value: '400', unit: 'U' } })], rules())).toThrow(
      ProductMismatchError,
    );
  });
});

describe('outcomes without winners', () => {
  it('no eligible bids', () => {
    const r = evaluateItem(item(), [bid('A', '1', { productVerified: false })], rules());
    expect(r).toMatchObject({ outcome: 'no_eligible_bids', eligibleBidders: 0, ...nulls });
    const empty = evaluateItem(item(), [], rules());
    expect(empty).toMatchObject({ outcome: 'no_eligible_bids', eligibleBidders: 0, bids: [], ...nulls });
  });

  it('minBidders not met', () => {
    const r = evaluateItem(item(), [bid('A', '1'), bid('B', '1.1'), bid('C', '1', { manufacturerSuspended: true })], rules({ minBidders: 3 }));
    expect(r).toMatchObject({ outcome: 'insufficient_bidders', eligibleBidders: 2, ...nulls });
    expect(summary(r)).toStrictEqual([
      ['A', null, null, false],
      ['B', null, null, false],
      ['C', null, null, false],
    ]);
    // Unit prices are still reported.
    expect(fmt4(byId(r, 'B').comparableUnitPrice)).toBe('1.1000');
  });

  it('minBidders met exactly', () => {
    const r = evaluateItem(item(), [bid('A', '1'), bid('B', '1.1'), bid('C', '1.2')], rules({ minBidders: 3 }));
    expect(r.outcome).toBe('awarded');
  });

  it('roundDrops ignores items without winners', () => {
    const none = evaluateItem(item(), [], rules());
    expect(roundDrops([none]).averageDrop).toBeNull();
    expect(roundDrops([]).averageDrop).toBeNull();
    const a = evaluateItem(item({ baselineUnitPrice: '2' }), [bid('A', '1')], rules()); // drop 0.5
    const b = evaluateItem(item({ baselineUnitPrice: '4' }), [bid('A', '1')], rules()); // drop 0.75
    expect(fmt4(roundDrops([a, none, b]).averageDrop)).toBe('0.6250');
  });
});

describe('winner selection', () => {
  it('one bidder wins alone', () => {
    const r = evaluateItem(item(), [bid('A', '2.90')], rules());
    expect(r.outcome).toBe('awarded');
    expect(r.eligibleBidders).toBe(1);
    expect(summary(r)).toStrictEqual([['A', 'lowest', 1, true]]);
    expect(r.maxWinners).toBe(1);
    expect(fmt4(r.agreedVolumeRatio)).toBe('0.5000');
    expect(fmt4(r.lowest)).toBe('2.9000');
    expect(fmt4(r.priceDrop)).toBe('-0.1600');
  });

  it('two bidders: the higher one is excluded even though spread holds', () => {
    const r = evaluateItem(item(), [bid('A', '1.50'), bid('B', '1.00')], rules());
    expect(summary(r)).toStrictEqual([
      ['A', null, null, false],
      ['B', 'lowest', 1, true],
    ]);
    expect(r.maxWinners).toBe(2);
    expect(fmt4(r.agreedVolumeRatio)).toBe('0.5000');
  });

  it('two bidders at the same price both win', () => {
    const r = evaluateItem(item(), [bid('A', '1.00', { submissionSeq: 9 }), bid('B', '1.00', { submissionSeq: 3 })], rules());
    expect(summary(r)).toStrictEqual([
      ['A', 'lowest', 2, true],
      ['B', 'lowest', 1, true],
    ]);
    expect(fmt4(r.agreedVolumeRatio)).toBe('0.6000');
  });

  it('without excludeHighest the higher of two stays a candidate', () => {
    const r = evaluateItem(item(), [bid('A', '1.50'), bid('B', '1.00')], rules({ excludeHighest: false }));
    expect(summary(r)).toStrictEqual([
      ['A', 'spread', 2, true],
      ['B', 'lowest', 1, true],
    ]);
  });

  it('excludes every bid tied at the highest price', () => {
    const r = evaluateItem(item(), [bid('A', '1'), bid('B', '1.2'), bid('C', '1.2')], rules());
    expect(summary(r)).toStrictEqual([
      ['A', 'lowest', 1, true],
      ['B', null, null, false],
      ['C', null, null, false],
    ]);
  });

  it('all equal prices: all lowest, ranked by submission, capped by maxWinners', () => {
    const bids = ['E', 'D', 'C', 'B', 'A'].map((m, i) => bid(m, '0.80', { submissionSeq: 10 + i }));
    const r = evaluateItem(item(), bids, rules());
    expect(summary(r)).toStrictEqual([
      ['E', 'lowest', 1, true],
      ['D', 'lowest', 2, true],
      ['C', 'lowest', 3, true],
      ['B', 'lowest', 4, true],
      ['A', 'lowest', 5, false],
    ]);
    expect(r.maxWinners).toBe(4);
    expect(fmt4(r.priceDrop)).toBe('0.6800');
  });

  it('ties: earlier submission first, then manufacturer id, across seq types', () => {
    const r = evaluateItem(
      item(),
      [
        bid('M9', '1.00', { submissionSeq: 5n }),
        bid('M2', '1.00', { submissionSeq: '5' }),
        bid('M1', '1.00', { submissionSeq: 12 }),
        bid('M0', '1.00', { submissionSeq: '100000000000000000001' }),
        bid('M3', '1.00', { submissionSeq: 2 }),
        bid('Z', '5.00', { submissionSeq: 1 }),
      ],
      rules({ maxWinners: [[1, 10]] }),
    );
    expect(r.bids.map((b) => [b.manufacturerId, b.rank])).toStrictEqual([
      ['M9', 3],
      ['M2', 2],
      ['M1', 4],
      ['M0', 5],
      ['M3', 1],
      ['Z', null],
    ]);
  });

  it('manufacturer id ties use plain code-unit order', () => {
    const r = evaluateItem(item(), [bid('b', '1', { submissionSeq: 1 }), bid('B', '1', { submissionSeq: 1 }), bid('a', '1', { submissionSeq: 1 })], rules());
    expect(r.bids.map((b) => [b.manufacturerId, b.rank])).toStrictEqual([
      ['b', 3],
      ['B', 1],
      ['a', 2],
    ]);
  });

  it('equal comparable prices from different strengths tie exactly', () => {
    const r = evaluateItem(
      item(),
      [bid('A', '0.51', { submissionSeq: 2 }), bid('B', '0.30', { strength: { value: '10', unit: 'mg' }, submissionSeq: 1 }), bid('C', '2')],
      rules(),
    );
    expect(summary(r)).toStrictEqual([
      ['A', 'lowest', 2, true],
      ['B', 'lowest', 1, true],
      ['C', null, null, false],
    ]);
  });

  it('spread path, boundary included', () => {
    // lowest 1.00 → spread limit 1.80 exactly.
    const r = evaluateItem(item({ maxUnitPrice: '3.4' }), [bid('A', '1.00'), bid('B', '1.80'), bid('C', '1.81'), bid('D', '3.00')], rules());
    expect(summary(r)).toStrictEqual([
      ['A', 'lowest', 1, true],
      ['B', 'spread', 2, true],
      ['C', null, null, false], // 1 − 1.81/3.4 = 0.4676 < 0.5
      ['D', null, null, false],
    ]);
  });

  it('floor path', () => {
    // 0.08 is above 1.8 × 0.02 = 0.036 but under the 0.10 floor (drop would also hold; floor comes first).
    const r = evaluateItem(item(), [bid('A', '0.02'), bid('B', '0.08'), bid('C', '0.10'), bid('D', '0.11'), bid('E', '2')], rules({ dropFromMax: null }));
    expect(summary(r)).toStrictEqual([
      ['A', 'lowest', 1, true],
      ['B', 'floor', 2, true],
      ['C', 'floor', 3, true],
      ['D', null, null, false],
      ['E', null, null, false],
    ]);
    expect(r.maxWinners).toBe(4);
    expect(fmt4(r.agreedVolumeRatio)).toBe('0.7000');
  });

  it('drop path, boundary included', () => {
    // maxUnitPrice 4: drop ≥ 0.5 means comparable ≤ 2.00.
    const r = evaluateItem(item({ maxUnitPrice: '4' }), [bid('A', '1.00'), bid('B', '1.90'), bid('C', '2.00'), bid('D', '2.01'), bid('E', '3.00')], rules());
    expect(summary(r)).toStrictEqual([
      ['A', 'lowest', 1, true],
      ['B', 'drop', 2, true],
      ['C', 'drop', 3, true],
      ['D', null, null, false],
      ['E', null, null, false],
    ]);
  });

  it('null rules skip their tests', () => {
    const bids = () => [bid('A', '0.05'), bid('B', '0.08'), bid('C', '0.09'), bid('D', '1.20'), bid('E', '3')];
    const mu = item({ maxUnitPrice: '3' });
    // nvbp: B spread (≤ 0.09), C spread, D drop (1 − 1.2/3 = 0.6).
    expect(summary(evaluateItem(mu, bids(), rules())).map((s) => s[1])).toStrictEqual(['lowest', 'spread', 'spread', 'drop', null]);
    // No spread: B and C fall through to the floor.
    expect(summary(evaluateItem(mu, bids(), rules({ spreadCap: null }))).map((s) => s[1])).toStrictEqual(['lowest', 'floor', 'floor', 'drop', null]);
    // No spread, no floor: all fall to drop.
    expect(summary(evaluateItem(mu, bids(), rules({ spreadCap: null, priceFloor: null }))).map((s) => s[1])).toStrictEqual(['lowest', 'drop', 'drop', 'drop', null]);
    // Nothing but the lowest.
    expect(summary(evaluateItem(mu, bids(), rules({ spreadCap: null, priceFloor: null, dropFromMax: null }))).map((s) => s[1])).toStrictEqual(['lowest', null, null, null, null]);
  });

  it('follows the maxWinners table for n = 1..13', () => {
    const expected = [1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10, 10];
    for (let n = 1; n <= 13; n++) {
      const bids = Array.from({ length: n }, (_, i) => bid(`M${String(i).padStart(2, '0')}`, (1 + i / 100).toFixed(2)));
      const r = evaluateItem(item(), bids, rules({ excludeHighest: false }));
      expect(r.maxWinners).toBe(expected[n - 1]);
      expect(r.bids.filter((b) => b.winner).length).toBe(expected[n - 1]);
      expect(r.bids.map((b) => b.rank)).toStrictEqual(bids.map((_, i) => i + 1));
      // With excludeHighest the highest drops out: min(maxWinners, n − 1) winners for n ≥ 2.
      const ex = evaluateItem(item(), bids, rules());
      expect(ex.bids.filter((b) => b.winner).length).toBe(n === 1 ? 1 : Math.min(expected[n - 1]!, n - 1));
    }
  });

  it('takes the agreed volume ratio from the number of winners, not n', () => {
    // n = 5 but only 2 candidates → 2 winners → 0.6.
    const r = evaluateItem(item({ maxUnitPrice: '10' }), [bid('A', '1'), bid('B', '1.5'), bid('C', '6'), bid('D', '7'), bid('E', '8')], rules());
    expect(r.maxWinners).toBe(4);
    expect(r.bids.filter((b) => b.winner).length).toBe(2);
    expect(fmt4(r.agreedVolumeRatio)).toBe('0.6000');
  });

  it('uses an item-fixed agreed volume ratio', () => {
    const r = evaluateItem(item({ agreedVolumeRatio: '0.75' }), [bid('A', '1'), bid('B', '1.1'), bid('C', '2')], rules());
    expect(fmt4(r.agreedVolumeRatio)).toBe('0.7500');
  });

  it('computes the price drop from the mean of winning comparable prices at full precision', () => {
    const r = evaluateItem(item({ baselineUnitPrice: '3' }), [bid('A', '1'), bid('B', '1', { strength: { value: '40', unit: 'mg' } }), bid('C', '2')], rules());
    const expected = new D(1).minus(new D(1).plus(new D(1).div('1.7')).div(2).div(3));
    expect(r.priceDrop!.eq(expected)).toBe(true);
  });
});

describe('presets in selection', () => {
  it('pilot-4+7: only the lowest is a candidate, one winner, ratio 0.6', () => {
    const r = evaluateItem(item(), [bid('A', '1.10'), bid('B', '1.00'), bid('C', '0.05'), bid('D', '1.20')], rules({ preset: 'pilot-4+7' }));
    expect(summary(r)).toStrictEqual([
      ['A', null, null, false],
      ['B', null, null, false],
      ['C', 'lowest', 1, true],
      ['D', null, null, false],
    ]);
    expect(r.maxWinners).toBe(1);
    expect(fmt4(r.agreedVolumeRatio)).toBe('0.6000');
  });

  it('pilot-4+7: tied lowest bids rank by submission and only the first wins', () => {
    const r = evaluateItem(item(), [bid('A', '1', { submissionSeq: 8 }), bid('B', '1', { submissionSeq: 7 })], rules({ preset: 'pilot-4+7' }));
    expect(summary(r)).toStrictEqual([
      ['A', 'lowest', 2, false],
      ['B', 'lowest', 1, true],
    ]);
  });

  it('pilot-4+7: the item ratio wins over the preset default', () => {
    const r = evaluateItem(item({ agreedVolumeRatio: '0.5' }), [bid('A', '1')], rules({ preset: 'pilot-4+7' }));
    expect(fmt4(r.agreedVolumeRatio)).toBe('0.5000');
  });

  it('anchor-2025: half the mean lifts the anchor above the lowest', () => {
    // mean = (1 + 2 + 2.2 + 4) / 4 = 2.3 → anchor 1.15 → spread limit 2.07.
    const bids = [bid('A', '1.00'), bid('B', '2.00'), bid('C', '2.20'), bid('D', '4.00')];
    const r = evaluateItem(item({ maxUnitPrice: '5' }), bids, rules({ preset: 'anchor-2025' }));
    expect(fmt4(r.lowest)).toBe('1.0000');
    expect(fmt4(r.anchor)).toBe('1.1500');
    expect(summary(r)).toStrictEqual([
      ['A', 'lowest', 1, true],
      ['B', 'spread', 2, true],
      ['C', null, null, false], // drop test is off in anchor-2025
      ['D', null, null, false],
    ]);
    expect(r.maxWinners).toBe(3);
    expect(fmt4(r.agreedVolumeRatio)).toBe('0.6000');
    // Under nvbp the anchor is the lowest: B only passes by drop, C too.
    const n = evaluateItem(item({ maxUnitPrice: '5' }), bids, rules());
    expect(fmt4(n.anchor)).toBe('1.0000');
    expect(summary(n).map((s) => s[1])).toStrictEqual(['lowest', 'drop', 'drop', null]);
  });

  it('anchor-2025: the anchor never falls below the lowest', () => {
    const r = evaluateItem(item(), [bid('A', '1.00'), bid('B', '1.10')], rules({ preset: 'anchor-2025' }));
    expect(fmt4(r.anchor)).toBe('1.0000');
  });
});

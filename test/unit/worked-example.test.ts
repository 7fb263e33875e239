// DOMAIN.md "Worked example (preset nvbp)", end to end: opening, then award.
import { describe, it, expect } from 'vitest';
import { D, fmt4 } from '../../src/rules/decimal.js';
import { evaluateItem, roundDrops } from '../../src/rules/selection.js';
import { agreedQuantity, allocateUnits, supplierFor, unitOf, weightedDrop } from '../../src/rules/allocation.js';
import { bid, item, rules } from './fixtures.js';

const ATV20 = item({
  code: 'ATV20',
  referenceStrength: { value: '20', unit: 'mg' },
  strengthPriceRatio: '1.7',
  maxUnitPrice: '3.0000',
  baselineUnitPrice: '2.5000',
});
const mg = (value: string) => ({ value, unit: 'mg' });
const bids = [
  bid('M1', '16.80', { packSize: 28, strength: mg('20'), submissionSeq: 101 }),
  bid('M2', '4.20', { packSize: 14, strength: mg('10'), submissionSeq: 102 }),
  bid('M3', '6.30', { packSize: 7, strength: mg('40'), submissionSeq: 103 }),
  bid('M4', '6.44', { packSize: 7, strength: mg('20'), submissionSeq: 104 }),
  bid('M5', '3.00', { packSize: 10, strength: mg('20'), qualityTier: 'not_evaluated', submissionSeq: 105 }),
  bid('M6', '12.00', { packSize: 10, strength: mg('20'), submissionSeq: 106 }),
];
const result = evaluateItem(ATV20, bids, rules());

describe('worked example: opening', () => {
  it('matches the table row by row', () => {
    const rows = result.bids.map((b) => [
      b.manufacturerId,
      fmt4(b.unitPrice),
      fmt4(b.comparableUnitPrice),
      b.eligible,
      b.reason,
      b.candidateBy,
      b.rank,
      b.winner,
    ]);
    expect(rows).toStrictEqual([
      ['M1', '0.6000', '0.6000', true, null, 'spread', 3, true],
      ['M2', '0.3000', '0.5100', true, null, 'lowest', 1, true],
      ['M3', '0.9000', '0.5294', true, null, 'spread', 2, true],
      ['M4', '0.9200', '0.9200', true, null, 'drop', 4, true],
      ['M5', '0.3000', '0.3000', false, 'quality_tier', null, null, false],
      ['M6', '1.2000', '1.2000', true, null, null, null, false],
    ]);
  });

  it('has the item figures', () => {
    expect(result.itemCode).toBe('ATV20');
    expect(result.outcome).toBe('awarded');
    expect(result.eligibleBidders).toBe(5);
    expect(fmt4(result.lowest)).toBe('0.5100');
    expect(fmt4(result.anchor)).toBe('0.5100');
    expect(result.maxWinners).toBe(4);
    expect(fmt4(result.agreedVolumeRatio)).toBe('0.8000');
    expect(fmt4(result.priceDrop)).toBe('0.7441');
    expect(fmt4(roundDrops([result]).averageDrop)).toBe('0.7441');
  });

  it('keeps exact values: 0.30 × 1.7 is exactly 0.51', () => {
    expect(result.bids[1]!.comparableUnitPrice.eq('0.51')).toBe(true);
    expect(result.lowest!.eq('0.51')).toBe(true);
    // M4 is just above the spread limit 0.918 and passes the drop test.
    expect(result.bids[3]!.comparableUnitPrice.gt(result.anchor!.times('1.8'))).toBe(true);
  });
});

describe('worked example: award', () => {
  const hospitals = [
    { id: 'h1', demand: 10_000, region: '440103', prefers: null },
    { id: 'h3', demand: 5_000, region: '440304', prefers: null },
    { id: 'h2', demand: 6_000, region: '320102', prefers: null },
    { id: 'h4', demand: 3_000, region: '330106', prefers: 'M4' },
    { id: 'h5', demand: 1_999, region: '110105', prefers: null },
  ];
  const level = rules().regionLevel;
  const units = hospitals.map((h) => ({ code: unitOf(h.region, level), demand: h.demand }));
  const winners = result.bids
    .filter((b) => b.winner)
    .map((b) => ({ manufacturerId: b.manufacturerId, rank: b.rank!, preferences: b.manufacturerId === 'M3' ? ['110000'] : [] }));
  const allocation = allocateUnits(units, winners);

  it('takes units in round one as the example says', () => {
    expect([...allocation.entries()]).toStrictEqual([
      ['440000', 'M2'],
      ['110000', 'M3'],
      ['320000', 'M1'],
      ['330000', 'M4'],
    ]);
  });

  it('fixes the agreements', () => {
    const winnerIds = new Set(winners.map((w) => w.manufacturerId));
    const agreements = hospitals.map((h) => {
      const supplier = supplierFor(h.prefers, allocation.get(unitOf(h.region, level)), winnerIds)!;
      return [h.id, supplier, agreedQuantity(h.demand, result.agreedVolumeRatio!)];
    });
    expect(agreements).toStrictEqual([
      ['h1', 'M2', 8_000],
      ['h3', 'M2', 4_000],
      ['h2', 'M1', 4_800],
      ['h4', 'M4', 2_400],
      ['h5', 'M3', 1_599],
    ]);
  });

  it('computes a weighted drop over the agreements', () => {
    const price = (m: string) => result.bids.find((b) => b.manufacturerId === m)!.comparableUnitPrice;
    const baseline = new D(ATV20.baselineUnitPrice);
    const rows = [
      { m: 'M2', q: 8_000 },
      { m: 'M2', q: 4_000 },
      { m: 'M1', q: 4_800 },
      { m: 'M4', q: 2_400 },
      { m: 'M3', q: 1_599 },
    ].map((r) => ({ amount: price(r.m).times(r.q), baselineAmount: baseline.times(r.q) }));
    // 1 − (12000×0.51 + 4800×0.6 + 2400×0.92 + 1599×0.9/1.7) / (20799 × 2.5) = 0.76817…, exactly:
    const paid = new D('12000').times('0.51').plus(new D(4800).times('0.6')).plus(new D(2400).times('0.92')).plus(new D(1599).times('0.9').div('1.7'));
    expect(weightedDrop(rows)!.eq(new D(1).minus(paid.div(new D(20_799).times('2.5'))))).toBe(true);
    expect(fmt4(weightedDrop(rows))).toBe('0.7682');
    expect(weightedDrop([])).toBeNull();
  });
});

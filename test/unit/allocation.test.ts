import { describe, it, expect } from 'vitest';
import { D } from '../../src/rules/decimal.js';
import {
  agreedQuantity,
  allocateUnits,
  isValidRegionCode,
  orderUnits,
  regionCovers,
  regionPrefix,
  supplierFor,
  unitOf,
} from '../../src/rules/allocation.js';

describe('region codes', () => {
  it('isValidRegionCode', () => {
    for (const ok of ['110000', '130100', '130102', '440103', '100000']) expect(isValidRegionCode(ok)).toBe(true);
    for (const bad of ['000000', '11000', '1100000', 'abcdef', ' 11000', '11000 ', '', '１１００００'])
      expect(isValidRegionCode(bad)).toBe(false);
  });

  it('regionPrefix strips trailing 00 pairs', () => {
    expect(regionPrefix('130000')).toBe('13');
    expect(regionPrefix('130100')).toBe('1301');
    expect(regionPrefix('130110')).toBe('130110');
    expect(regionPrefix('100000')).toBe('10');
    expect(regionPrefix('110105')).toBe('110105');
    expect(regionPrefix('101000')).toBe('1010');
  });

  it('regionCovers', () => {
    expect(regionCovers('130000', '130000')).toBe(true);
    expect(regionCovers('130000', '130100')).toBe(true);
    expect(regionCovers('130000', '130102')).toBe(true);
    expect(regionCovers('130000', '140100')).toBe(false);
    expect(regionCovers('130100', '130102')).toBe(true);
    expect(regionCovers('130100', '130100')).toBe(true);
    expect(regionCovers('130100', '130200')).toBe(false);
    expect(regionCovers('130100', '130000')).toBe(false);
    expect(regionCovers('130110', '130110')).toBe(true);
    expect(regionCovers('130110', '130111')).toBe(false);
    expect(regionCovers('130110', '130100')).toBe(false);
    // "1" prefix is never produced: 100000 → "10" does not cover 110000.
    expect(regionCovers('100000', '110000')).toBe(false);
    expect(regionCovers('000000', '110000')).toBe(false);
    expect(regionCovers('110000', 'x')).toBe(false);
  });

  it('unitOf', () => {
    expect(unitOf('440103', 'province')).toBe('440000');
    expect(unitOf('440103', 'city')).toBe('440100');
    expect(unitOf('440000', 'province')).toBe('440000');
    expect(unitOf('440000', 'city')).toBe('440000');
    expect(unitOf('110105', 'city')).toBe('110100');
  });
});

describe('orderUnits', () => {
  it('orders by total demand desc, ties by code, summing repeated codes', () => {
    expect(
      orderUnits([
        { code: '320000', demand: 5 },
        { code: '110000', demand: 5 },
        { code: '440000', demand: 3 },
        { code: '440000', demand: 4n },
        { code: '120000', demand: 6 },
      ]),
    ).toStrictEqual(['440000', '120000', '110000', '320000']);
  });
  it('refuses fractional demand', () => {
    expect(() => orderUnits([{ code: '110000', demand: 1.5 }])).toThrow(RangeError);
  });
});

describe('allocateUnits', () => {
  const units = [
    { code: 'A', demand: 500 },
    { code: 'B', demand: 400 },
    { code: 'C', demand: 300 },
    { code: 'D', demand: 200 },
    { code: 'E', demand: 100 },
  ];
  const w = (manufacturerId: string, rank: number, preferences: string[] = []) => ({ manufacturerId, rank, preferences });
  const entries = (m: Map<string, string>) => Object.fromEntries(m);

  it('gives nothing without winners', () => {
    expect(allocateUnits(units, []).size).toBe(0);
  });

  it('one winner takes every unit, preferences aside', () => {
    expect(entries(allocateUnits(units, [w('X', 1, ['E'])]))).toStrictEqual({ A: 'X', B: 'X', C: 'X', D: 'X', E: 'X' });
  });

  it('more units than winners: several rounds in rank order, largest free unit by default', () => {
    const m = allocateUnits(units, [w('S', 2), w('F', 1)]);
    expect([...m.entries()]).toStrictEqual([
      ['A', 'F'],
      ['B', 'S'],
      ['C', 'F'],
      ['D', 'S'],
      ['E', 'F'],
    ]);
  });

  it('preferences naming taken units fall through to the next free one', () => {
    const m = allocateUnits(units, [w('F', 1, ['C']), w('S', 2, ['C', 'E', 'A'])]);
    // Round 1: F takes C, S skips taken C and takes E. Round 2: F has no free preference → A; S: A taken → largest free B.
    // Round 3: F takes D.
    expect(entries(m)).toStrictEqual({ C: 'F', E: 'S', A: 'F', B: 'S', D: 'F' });
  });

  it('ignores preference codes that are no unit', () => {
    const m = allocateUnits(units.slice(0, 3), [w('F', 1, ['Z', '999999', 'B']), w('S', 2, ['Q'])]);
    expect(entries(m)).toStrictEqual({ B: 'F', A: 'S', C: 'F' });
  });

  it('more winners than units: later ranks get nothing', () => {
    const m = allocateUnits(units.slice(0, 2), [w('W1', 1), w('W2', 2, ['A']), w('W3', 3)]);
    expect(entries(m)).toStrictEqual({ A: 'W1', B: 'W2' });
    expect([...m.values()]).not.toContain('W3');
  });

  it('orders units by demand with ties by code', () => {
    const m = allocateUnits(
      [
        { code: '320000', demand: 10 },
        { code: '110000', demand: 10 },
        { code: '440000', demand: 9n },
      ],
      [w('W1', 1), w('W2', 2), w('W3', 3)],
    );
    expect(entries(m)).toStrictEqual({ '110000': 'W1', '320000': 'W2', '440000': 'W3' });
  });

  it('gives an empty map without units', () => {
    expect(allocateUnits([], [w('W1', 1), w('W2', 2)]).size).toBe(0);
  });
});

describe('supplierFor', () => {
  const winners = new Set(['M1', 'M2']);
  it('prefers a winning preferred manufacturer, else the unit winner', () => {
    expect(supplierFor('M2', 'M1', winners)).toBe('M2');
    expect(supplierFor('M9', 'M1', winners)).toBe('M1');
    expect(supplierFor(null, 'M1', winners)).toBe('M1');
    expect(supplierFor(undefined, undefined, winners)).toBeUndefined();
  });
});

describe('agreedQuantity', () => {
  it('rounds half up', () => {
    expect(agreedQuantity(1999, new D('0.8'))).toBe(1599);
    expect(agreedQuantity(10_000, new D('0.8'))).toBe(8000);
    expect(agreedQuantity(3, new D('0.5'))).toBe(2);
    expect(agreedQuantity(5, new D('0.5'))).toBe(3);
    expect(agreedQuantity(1, new D('0.5'))).toBe(1);
    expect(agreedQuantity(1, new D('0.4'))).toBe(0);
    expect(agreedQuantity(7, new D('0.7'))).toBe(5);
    expect(agreedQuantity(12_345_678_901n, new D('0.6'))).toBe(7_407_407_341);
  });
});

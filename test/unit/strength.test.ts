import { describe, it, expect } from 'vitest';
import { D } from '../../src/rules/decimal.js';
import {
  isKnownUnit,
  normalizeUnit,
  referenceUnitsPerProductUnit,
  strengthFactor,
  strengthMatches,
  unitsCompatible,
} from '../../src/rules/strength.js';

const r = new D('1.7');
const s = (value: string, unit: string) => ({ value, unit });
const MICRO = '\u00b5';
const MU = '\u03bc';

describe('normalizeUnit', () => {
  it.each([
    ['g', 'g', 'mass'],
    ['G', 'g', 'mass'],
    ['mg', 'mg', 'mass'],
    ['MG', 'mg', 'mass'],
    ['Mg', 'mg', 'mass'],
    [`${MICRO}g`, 'µg', 'mass'],
    [`${MU}g`, 'µg', 'mass'],
    ['\u039cG', 'µg', 'mass'],
    ['mcg', 'µg', 'mass'],
    ['MCG', 'µg', 'mass'],
    ['ug', 'µg', 'mass'],
    ['UG', 'µg', 'mass'],
    ['l', 'l', 'volume'],
    ['L', 'l', 'volume'],
    ['ml', 'ml', 'volume'],
    ['ML', 'ml', 'volume'],
    ['mL', 'ml', 'volume'],
    ['IU', 'IU', 'IU'],
    ['iu', 'IU', 'IU'],
    ['U', 'U', 'U'],
    ['u', 'U', 'U'],
  ])('%s → %s (%s)', (unit, canonical, dimension) => {
    const n = normalizeUnit(unit);
    expect(n).not.toBeNull();
    expect(n!.canonical).toBe(canonical);
    expect(n!.dimension).toBe(dimension);
    expect(isKnownUnit(unit)).toBe(true);
  });

  it('uses µg as mass base and ml as volume base', () => {
    expect(normalizeUnit('g')!.toBase.eq(1_000_000)).toBe(true);
    expect(normalizeUnit('mg')!.toBase.eq(1000)).toBe(true);
    expect(normalizeUnit('mcg')!.toBase.eq(1)).toBe(true);
    expect(normalizeUnit('l')!.toBase.eq(1000)).toBe(true);
    expect(normalizeUnit('ml')!.toBase.eq(1)).toBe(true);
  });

  it.each(['', 'kg', 'tablet', ' mg', 'mg ', 'm g', 'µ', 'IUU', 'mmol'])('rejects %j', (unit) => {
    expect(normalizeUnit(unit)).toBeNull();
    expect(isKnownUnit(unit)).toBe(false);
  });
});

describe('unitsCompatible', () => {
  it('is true within a dimension', () => {
    expect(unitsCompatible('g', 'mcg')).toBe(true);
    expect(unitsCompatible(`${MICRO}g`, `${MU}g`)).toBe(true);
    expect(unitsCompatible('l', 'ML')).toBe(true);
    expect(unitsCompatible('IU', 'iu')).toBe(true);
    expect(unitsCompatible('U', 'u')).toBe(true);
  });
  it('is false across dimensions and for unknown units', () => {
    expect(unitsCompatible('IU', 'U')).toBe(false);
    expect(unitsCompatible('mg', 'ml')).toBe(false);
    expect(unitsCompatible('mg', 'IU')).toBe(false);
    expect(unitsCompatible('mg', 'kg')).toBe(false);
  });
});

describe('strengthFactor', () => {
  it('is exactly r for a half-strength product and 1/r for a double-strength one', () => {
    const half = strengthFactor(r, s('20', 'mg'), s('10', 'mg'))!;
    expect(half.eq('1.7')).toBe(true);
    expect(new D('0.30').times(half).eq('0.51')).toBe(true);
    const double = strengthFactor(r, s('20', 'mg'), s('40', 'mg'))!;
    expect(new D('0.90').times(double).toFixed(4)).toBe('0.5294');
    expect(new D('0.90').times(double).eq(new D('0.90').div('1.7'))).toBe(true);
  });

  it('is exactly 1 for the same strength in other units', () => {
    expect(strengthFactor(r, s('0.5', 'g'), s('500', 'mg'))!.eq(1)).toBe(true);
    expect(strengthFactor(r, s('20', 'mg'), s('20000', `${MICRO}g`))!.eq(1)).toBe(true);
    expect(strengthFactor(r, s('20', 'mg'), s('20000', `${MU}g`))!.eq(1)).toBe(true);
    expect(strengthFactor(r, s('20', 'mg'), s('20000', 'mcg'))!.eq(1)).toBe(true);
    expect(strengthFactor(r, s('20', 'MG'), s('20000', 'ug'))!.eq(1)).toBe(true);
    expect(strengthFactor(r, s('0.25', 'L'), s('250', 'ml'))!.eq(1)).toBe(true);
    expect(strengthFactor(r, s('400', 'IU'), s('400', 'iu'))!.eq(1)).toBe(true);
    expect(strengthFactor(r, s('10', 'U'), s('10', 'u'))!.eq(1)).toBe(true);
  });

  it('converts across units before comparing', () => {
    // 1 g reference, 500 mg product: half strength.
    expect(strengthFactor(r, s('1', 'g'), s('500', 'mg'))!.eq('1.7')).toBe(true);
    // 250 µg reference, 1 mg product: four times the strength.
    expect(strengthFactor(r, s('250', 'mcg'), s('1', 'mg'))!.eq(new D(1).div('2.89'))).toBe(true);
    // 5 ml reference, 0.01 l product: double.
    expect(strengthFactor(r, s('5', 'ml'), s('0.01', 'l'))!.eq(new D(1).div('1.7'))).toBe(true);
  });

  it('handles quotients that are not powers of two', () => {
    const f = strengthFactor(r, s('30', 'mg'), s('10', 'mg'))!;
    expect(f.toNumber()).toBeCloseTo(Math.pow(1.7, Math.log2(3)), 12);
  });

  it('is 1 for consumables (no strength on either side)', () => {
    expect(strengthFactor(r, null, null)!.eq(1)).toBe(true);
  });

  it('is null when the units cannot be converted', () => {
    expect(strengthFactor(r, s('10', 'IU'), s('10', 'U'))).toBeNull();
    expect(strengthFactor(r, s('10', 'mg'), s('10', 'ml'))).toBeNull();
    expect(strengthFactor(r, s('10', 'mg'), s('10', 'kg'))).toBeNull();
    expect(strengthFactor(r, s('10', 'mg'), null)).toBeNull();
    expect(strengthFactor(r, null, s('10', 'mg'))).toBeNull();
  });

  it('is null for values ≤ 0, malformed values or a ratio ≤ 0', () => {
    expect(strengthFactor(r, s('10', 'mg'), s('0', 'mg'))).toBeNull();
    expect(strengthFactor(r, s('-10', 'mg'), s('10', 'mg'))).toBeNull();
    expect(strengthFactor(r, s('10', 'mg'), s('1e1', 'mg'))).toBeNull();
    expect(strengthFactor(new D(0), s('10', 'mg'), s('10', 'mg'))).toBeNull();
    expect(strengthFactor(new D(-1), s('10', 'mg'), s('5', 'mg'))).toBeNull();
  });

  it('strengthMatches follows the same rule', () => {
    expect(strengthMatches(s('10', 'mg'), s('0.01', 'g'))).toBe(true);
    expect(strengthMatches(null, null)).toBe(true);
    expect(strengthMatches(s('10', 'IU'), s('10', 'U'))).toBe(false);
    expect(strengthMatches(s('10', 'mg'), null)).toBe(false);
  });
});

describe('referenceUnitsPerProductUnit', () => {
  it('counts a double-strength unit as r reference units', () => {
    expect(referenceUnitsPerProductUnit(r, s('20', 'mg'), s('40', 'mg'))!.eq('1.7')).toBe(true);
    expect(referenceUnitsPerProductUnit(r, s('20', 'mg'), s('10', 'mg'))!.eq(new D(1).div('1.7'))).toBe(true);
    expect(referenceUnitsPerProductUnit(r, null, null)!.eq(1)).toBe(true);
    expect(referenceUnitsPerProductUnit(r, s('10', 'IU'), s('10', 'U'))).toBeNull();
  });
  it('is the inverse of strengthFactor', () => {
    const f = strengthFactor(r, s('30', 'mg'), s('7', 'mg'))!;
    const u = referenceUnitsPerProductUnit(r, s('30', 'mg'), s('7', 'mg'))!;
    expect(f.times(u).minus(1).abs().lt('1e-40')).toBe(true);
  });
});

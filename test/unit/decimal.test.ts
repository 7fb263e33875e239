import { describe, it, expect } from 'vitest';
import { D, fmt4, mean, parseMoney, isDecimalString } from '../../src/rules/decimal.js';

describe('fmt4', () => {
  it('rounds half up to 4 places', () => {
    expect(fmt4(new D('0.00005'))).toBe('0.0001');
    expect(fmt4(new D('0.00004999'))).toBe('0.0000');
    expect(fmt4(new D('0.9').div('1.7'))).toBe('0.5294');
    expect(fmt4(new D('0.74405'))).toBe('0.7441');
    expect(fmt4(new D(1))).toBe('1.0000');
    expect(fmt4(new D('12345.678951'))).toBe('12345.6790');
  });
  it('rounds negatives away from zero and never prints -0.0000', () => {
    expect(fmt4(new D('-0.00005'))).toBe('-0.0001');
    expect(fmt4(new D('-0.00001'))).toBe('0.0000');
    expect(fmt4(new D('-0.25'))).toBe('-0.2500');
  });
  it('keeps null and undefined as null', () => {
    expect(fmt4(null)).toBeNull();
    expect(fmt4(undefined)).toBeNull();
  });
});

describe('parseMoney', () => {
  it('accepts plain decimals', () => {
    expect(parseMoney('12')!.eq(12)).toBe(true);
    expect(parseMoney('0.10')!.eq('0.1')).toBe(true);
    expect(parseMoney('-0.5')!.eq('-0.5')).toBe(true);
    expect(parseMoney('16.80')!.toString()).toBe('16.8');
  });
  it.each(['', '1e3', '+1', ' 1', '1 ', '1.', '.5', '1,000', '0x10', 'Infinity', 'NaN', '--1', '1.2.3'])(
    'rejects %j',
    (s) => {
      expect(parseMoney(s)).toBeNull();
      expect(isDecimalString(s)).toBe(false);
    },
  );
  it('rejects non-strings', () => {
    expect(parseMoney(1 as unknown as string)).toBeNull();
    expect(isDecimalString(1)).toBe(false);
  });
});

describe('mean', () => {
  it('is null for no values, exact otherwise', () => {
    expect(mean([])).toBeNull();
    expect(mean([new D('0.1'), new D('0.2')])!.eq('0.15')).toBe(true);
  });
});

describe('D', () => {
  it('works at 50 significant digits with half up', () => {
    expect(D.precision).toBe(50);
    expect(D.rounding).toBe(D.ROUND_HALF_UP);
    expect(new D(1).div(3).toString()).toBe('0.' + '3'.repeat(50));
  });
});

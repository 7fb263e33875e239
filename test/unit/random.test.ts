import { describe, expect, it } from 'vitest';
import { randomSlice } from '../../src/random.js';

describe('randomSlice', () => {
  it('hands out slices of the asked length that never repeat or change, across refills', () => {
    const seen = new Set<string>();
    const kept: [Buffer, string][] = [];
    for (let i = 0; i < 2000; i++) { // 2000 × 28 bytes spans several 8 KiB refills
      const s = randomSlice(i % 2 ? 16 : 12);
      expect(s.length).toBe(i % 2 ? 16 : 12);
      const hex = s.toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
      if (i % 97 === 0) kept.push([s, hex]);
    }
    for (const [s, hex] of kept) expect(s.toString('hex')).toBe(hex);
  });

  it('serves a request larger than the pool', () => {
    const big = randomSlice(10_000);
    expect(big.length).toBe(10_000);
    expect(new Set(big).size).toBeGreaterThan(200);
  });
});

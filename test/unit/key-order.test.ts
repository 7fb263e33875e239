import { describe, expect, it } from 'vitest';
import { KeyOrder } from '../../src/http/bulk.js';

/** Whether an upload's INSERT may skip its sort (demand and usage uploads). */
describe('KeyOrder', () => {
  const after = (keys: [number, number][]) => { const o = new KeyOrder(); for (const [h, i] of keys) o.saw(h, i); return o.ordered; };

  it('stays ordered while (hospital, item) never goes back; a repeated key (usage: other months, products) keeps it', () => {
    expect(after([])).toBe(true);
    expect(after([[1, 1], [1, 2], [1, 2], [2, 1], [3, 7]])).toBe(true);
  });

  it('is unordered once an item or a hospital goes back, whatever follows', () => {
    expect(after([[1, 2], [1, 1]])).toBe(false);
    expect(after([[2, 1], [1, 5], [3, 1], [4, 1]])).toBe(false);
  });
});

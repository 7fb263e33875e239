import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { receiptDigest, receiptJson, type ReceiptFields } from '../../src/bids/receipt.js';

const base: ReceiptFields = {
  roundId: 'rnd_0001', itemCode: 'ATV20', manufacturerId: 'org_m1', productId: 'prd_1', packagePrice: '16.8000', version: 3, salt: 'ab'.repeat(16),
};

describe('receipt JSON (RFC 8785)', () => {
  it('equals a general JCS canonicaliser for awkward strings', () => {
    const strings = ['', 'plain', '带中文的编码', 'quote " and \\ backslash', 'tab\tnew\nline\u0001\u001f', 'emoji 💊', '\u2028\u2029', '</script>'];
    for (const s of strings) {
      for (const key of ['roundId', 'itemCode', 'manufacturerId', 'productId', 'packagePrice', 'salt'] as const) {
        const f = { ...base, [key]: s };
        expect(receiptJson(f)).toBe(canonicalize(f));
      }
    }
    for (const version of [1, 2, 1000, Number.MAX_SAFE_INTEGER]) expect(receiptJson({ ...base, version })).toBe(canonicalize({ ...base, version }));
  });

  it('hashes exactly the canonical form', () => {
    expect(receiptDigest(base)).toBe(createHash('sha256').update(canonicalize(base) as string, 'utf8').digest('hex'));
    expect(receiptJson(base)).toBe('{"itemCode":"ATV20","manufacturerId":"org_m1","packagePrice":"16.8000","productId":"prd_1","roundId":"rnd_0001","salt":"' + 'ab'.repeat(16) + '","version":3}');
  });

  it('refuses what RFC 8785 cannot write: a version that is not an integer, a lone surrogate', () => {
    expect(() => receiptJson({ ...base, version: 1.5 })).toThrow(TypeError);
    expect(() => canonicalize({ ...base, productId: 'lone \ud800' })).toThrow();
    expect(() => receiptJson({ ...base, productId: 'lone \ud800' })).toThrow(TypeError);
    expect(receiptJson({ ...base, productId: 'pair \ud83d\udc8a' })).toBe(canonicalize({ ...base, productId: 'pair \ud83d\udc8a' }));
  });
});

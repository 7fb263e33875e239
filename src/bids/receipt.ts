import { createHash } from 'node:crypto';

export interface ReceiptFields { roundId: string; itemCode: string; manufacturerId: string; productId: string; packagePrice: string; version: number; salt: string }

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The RFC 8785 (JCS) form of a receipt, written out for its fixed shape: keys
 * in code-unit order, strings as ECMAScript's JSON.stringify writes them (what
 * JCS prescribes), and version an integer. A general canonicaliser walked and
 * sorted the object on every bid; a unit test holds the two equal.
 */
export function receiptJson(f: ReceiptFields): string {
  if (!Number.isSafeInteger(f.version)) throw new TypeError('version must be an integer');
  const s = (v: string) => {
    // RFC 8785 takes well-formed Unicode only (as a general canonicaliser refuses a lone surrogate).
    if (LONE_SURROGATE.test(v)) throw new TypeError('Lone surrogate is not allowed');
    return JSON.stringify(v);
  };
  return `{"itemCode":${s(f.itemCode)},"manufacturerId":${s(f.manufacturerId)},"packagePrice":${s(f.packagePrice)},`
    + `"productId":${s(f.productId)},"roundId":${s(f.roundId)},"salt":${s(f.salt)},"version":${f.version}}`;
}

/** DOMAIN.md "Integrity": sha256 of the RFC 8785 JSON of the receipt fields. */
export const receiptDigest = (f: ReceiptFields): string =>
  createHash('sha256').update(receiptJson(f), 'utf8').digest('hex');

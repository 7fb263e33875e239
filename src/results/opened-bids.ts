/**
 * The round's bids as they were opened, read back from bid_results (prices
 * are in the clear there after opening), ready for the same pure evaluation
 * as at opening: an upheld objection re-evaluates an item, a simulation
 * evaluates every item under other rules.
 *
 * Eligibility facts are those of opening, not of today: a product verified
 * after opening stays unverified for this round. What the stored reason tells
 * (the first that applied) is taken from it; what it cannot tell (a
 * suspension behind an earlier reason) is read as opening read it, at
 * bidClosesAt. The product's pack, strength and quality tier do not change.
 */
import type { Queryable } from '../db/client.js';
import { strengthOf } from '../catalogue/mapper.js';
import type { IneligibleReason } from '../rules/selection.js';
import type { RoundRow } from '../rounds/mapper.js';
import type { OpenedBid } from './opening.js';

interface OpenedBidRow {
  item_code: string; manufacturer_id: string; product_id: string; package_price: string; reason: IneligibleReason | null;
  salt: string; digest: string; seq: string; pack_size: number; strength_value: string | null; strength_unit: string | null;
  quality_tier: string; suspended: boolean; upheld: boolean;
}

export async function openedBids(tx: Queryable, r: Pick<RoundRow, 'id' | 'bidClosesAt'>, itemCode?: string): Promise<OpenedBid[]> {
  const rows = await tx.query<OpenedBidRow>(
    `SELECT b.item_code, b.manufacturer_id, b.product_id, b.package_price::text AS package_price, b.reason, b.salt, b.digest,
            b.submission_seq::text AS seq, p.pack_size, p.strength_value::text AS strength_value, p.strength_unit, p.quality_tier,
            EXISTS (SELECT 1 FROM suspensions s WHERE s.organization_id = b.manufacturer_id
                      AND s."from" <= $2 AND (s.until IS NULL OR s.until > $2)) AS suspended,
            EXISTS (SELECT 1 FROM objections o WHERE o.round_id = b.round_id AND o.item_code = b.item_code
                      AND o.manufacturer_id = b.manufacturer_id AND o.state = 'upheld') AS upheld
       FROM bid_results b JOIN products p ON p.id = b.product_id
      WHERE b.round_id = $1 AND ($3::text IS NULL OR b.item_code = $3)
      ORDER BY b.item_code, b.submission_seq`, [r.id, r.bidClosesAt, itemCode ?? null]);
  return rows.map((b) => ({
    itemCode: b.item_code, manufacturerId: b.manufacturer_id, productId: b.product_id, packagePrice: b.package_price,
    packSize: b.pack_size, strength: strengthOf(b.strength_value, b.strength_unit), qualityTier: b.quality_tier,
    // Checked first: any other stored reason means the product was verified at opening.
    productVerified: b.reason !== 'unverified_product',
    // No reason, or one checked after it, means no suspension; an earlier reason leaves it to the suspensions at bidClosesAt.
    manufacturerSuspended: b.reason === 'manufacturer_suspended' ? true
      : b.reason === null || b.reason === 'objection_upheld' ? false : b.suspended,
    objectionUpheld: b.upheld,
    submissionSeq: b.seq, salt: b.salt, digest: b.digest,
  }));
}

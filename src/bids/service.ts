import type { AppContext, Principal } from '../context.js';
import { strengthOf } from '../catalogue/mapper.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { conflict, invalidState, notFound, unprocessable } from '../http/problem.js';
import { D, type Dec, fmt4 } from '../rules/decimal.js';
import { type PriceBasis, priceBasis, priceOn } from '../rules/selection.js';
import { guardBidWindow, isOpened, type RoundState } from '../rounds/lifecycle.js';
import type { RoundRow } from '../rounds/mapper.js';
import { canSee, phaseOf } from '../rounds/service.js';
import { randomSlice } from '../random.js';
import { sealBid } from './crypto.js';
import { receiptDigest } from './receipt.js';
import { bidWriter } from './writer.js';

/** The round's state and window, as the bid window check reads them. */
interface WindowRow { state: RoundState; opened_at: Date | null; bid_opens_at: Date; bid_closes_at: Date }
const checkWindow = (r: WindowRow, now: Date) =>
  guardBidWindow({ state: r.state, openedAt: r.opened_at, bidOpensAt: r.bid_opens_at, bidClosesAt: r.bid_closes_at }, now);
const WINDOW_SQL = 'SELECT state, opened_at, bid_opens_at, bid_closes_at FROM rounds WHERE id = $1';

const mismatch = (detail: string) => unprocessable('product-mismatch', 'Product does not match the item', detail);
const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * What a bid is checked against. Once a round is bidding, its window and key,
 * its items and every product are fixed (they change only in draft or demand),
 * so each process keeps them for a minute; the round's state is re-checked by
 * the write itself. The bid's version is kept too and used optimistically:
 * the write only succeeds on the version it expects, and a miss re-reads.
 */
const FACTS_MS = 60_000;
/** The round, item and product facts of one bid, read by one statement. */
interface FactsRow extends WindowRow {
  alliance_id: string; region_codes: string[]; bid_public_key: string;
  code: string | null; i_name: string; i_form: string; i_category: string; ref_value: string | null; ref_unit: string | null;
  ratio: string; max_unit_price: string;
  p_manufacturer: string | null; p_name: string; p_form: string; p_category: string; p_value: string | null; p_unit: string | null;
  pack_size: number; version: number | null;
}
interface Facts { row: FactsRow; until: number; basis?: PriceBasis | null; max?: Dec }
const facts = new Map<string, Facts>();
const versions = new Map<string, number>();
const remember = <V>(map: Map<string, V>, key: string, value: V) => {
  if (map.size >= 100_000) map.clear();
  map.set(key, value);
};

async function bidFacts(ctx: AppContext, p: Principal, roundId: string, itemCode: string, productId: string, fresh: boolean) {
  const fkey = `${roundId}\u0000${itemCode}\u0000${productId}`;
  const vkey = `${roundId}\u0000${itemCode}\u0000${p.orgId}`;
  const cached = facts.get(fkey);
  const version = versions.get(vkey);
  if (!fresh && cached && cached.until > Date.now() && version !== undefined) return { facts: cached, version, vkey, fkey };
  const rows = await ctx.db.query<FactsRow>(
    `SELECT r.state, r.opened_at, r.alliance_id, r.region_codes, r.bid_opens_at, r.bid_closes_at, r.bid_public_key,
            i.code, i.generic_name AS i_name, i.dosage_form AS i_form, i.category AS i_category,
            i.reference_strength_value::text AS ref_value, i.reference_strength_unit AS ref_unit,
            i.strength_price_ratio::text AS ratio, i.max_unit_price::text AS max_unit_price,
            pr.manufacturer_id AS p_manufacturer, pr.generic_name AS p_name, pr.dosage_form AS p_form, pr.category AS p_category,
            pr.strength_value::text AS p_value, pr.strength_unit AS p_unit, pr.pack_size,
            (SELECT version FROM bids b WHERE b.round_id = r.id AND b.item_code = $2 AND b.manufacturer_id = $4) AS version
       FROM rounds r
       LEFT JOIN items i ON i.round_id = r.id AND i.code = $2
       LEFT JOIN products pr ON pr.id = $3
      WHERE r.id = $1`, [roundId, itemCode, productId, p.orgId]);
  const row = rows[0];
  if (!row) return null;
  const f: Facts = { row, until: Date.now() + FACTS_MS };
  if (row.state === 'bidding' && row.code && row.p_manufacturer) remember(facts, fkey, f);
  remember(versions, vkey, row.version ?? 0);
  return { facts: f, version: (row.version ?? 0) as number, vkey, fkey };
}

/** The item's ceiling and the product's price basis, worked out once per item and product. */
function pricing(f: Facts): { basis: PriceBasis | null; max: Dec } {
  if (f.basis === undefined) {
    const r = f.row;
    f.basis = priceBasis({ referenceStrength: strengthOf(r.ref_value, r.ref_unit), strengthPriceRatio: r.ratio },
      r.pack_size, strengthOf(r.p_value, r.p_unit));
    f.max = new D(r.max_unit_price);
  }
  return { basis: f.basis, max: f.max! };
}

/**
 * Submits or replaces a sealed bid: checked against the round, item and
 * product, sealed and digested, then written by the bid writer, whose
 * statement re-checks round state, window and version under a key-share lock
 * of the round (so an opening waits for bids in flight). The price is sealed
 * before it reaches the database, and the audit event carries only the digest.
 */
export async function putBid(ctx: AppContext, p: Principal, roundId: string, itemCode: string, input: { productId: string; packagePrice: string }) {
  const packagePrice = fmt4(new D(input.packagePrice))!;
  for (let attempt = 0; ; attempt++) {
    const found = await bidFacts(ctx, p, roundId, itemCode, input.productId, attempt > 0);
    const r = found?.facts.row;
    if (!found || !r || !canSee(p, { allianceId: r.alliance_id, state: r.state, regionCodes: r.region_codes })) throw notFound('Round');
    if (!r.code) throw notFound('Item');
    const now = ctx.clock.now();
    checkWindow(r, now);
    if (!r.p_manufacturer) throw mismatch(`Product ${input.productId} does not exist`);
    if (r.p_manufacturer !== p.orgId) throw mismatch("The product is another manufacturer's");
    if (r.p_category !== r.i_category || !same(r.p_name, r.i_name) || !same(r.p_form, r.i_form)) {
      throw mismatch(`The product is not ${r.i_name} (${r.i_form})`);
    }
    const { basis, max } = pricing(found.facts);
    if (!basis) throw mismatch("The product's strength cannot be converted to the item's reference strength");
    if (priceOn(basis, new D(packagePrice)).comparableUnitPrice.gt(max)) {
      throw unprocessable('price-above-ceiling', 'Price above ceiling', `The comparable unit price is above the item's maxUnitPrice ${fmt4(max)}`);
    }
    const version = found.version + 1;
    const salt = randomSlice(16).toString('hex');
    const where = { roundId, itemCode, manufacturerId: p.orgId!, version };
    const digest = receiptDigest({ ...where, productId: input.productId, packagePrice, salt });
    const sealed = sealBid(r.bid_public_key, where, { packagePrice, salt });
    // The write re-checks state, window and version inside the transaction that writes the bid (see writer.ts).
    const written = await bidWriter(ctx.db).write({
      roundId, itemCode, manufacturerId: p.orgId!, productId: input.productId, sealed, digest, version, at: now,
    });
    if (written) {
      remember(versions, found.vkey, version);
      return { itemCode, productId: input.productId, packagePrice, version, submittedAt: now.toISOString(), receipt: { digest, salt } };
    }
    // The round left bidding (an opening or cancel won), or another write of this bid did: read again.
    facts.delete(found.fkey);
    versions.delete(found.vkey);
    const [again] = await ctx.db.query<WindowRow>(WINDOW_SQL, [roundId]);
    checkWindow(again, now);
    if (attempt >= 1) throw conflict('bid-conflict', 'Concurrent bid', 'Another write of this bid won the race; send it again');
  }
}

export async function withdrawBid(ctx: AppContext, p: Principal, roundId: string, itemCode: string): Promise<void> {
  const [r] = await ctx.db.query<WindowRow & { alliance_id: string; region_codes: string[] }>(
    'SELECT state, opened_at, bid_opens_at, bid_closes_at, alliance_id, region_codes FROM rounds WHERE id = $1', [roundId]);
  if (!r || !canSee(p, { allianceId: r.alliance_id, state: r.state, regionCodes: r.region_codes })) throw notFound('Round');
  const now = ctx.clock.now();
  checkWindow(r, now);
  // As putBid: one statement holding the round key-shared while it is bidding inside the window.
  const done = await ctx.db.query<{ version: number }>(
    `WITH r AS (
       SELECT id FROM rounds WHERE id = $1 AND state = 'bidding' AND bid_opens_at <= $4 AND bid_closes_at > $4 FOR KEY SHARE),
     w AS (
       UPDATE bids b SET withdrawn = true, sealed = '', digest = '', version = b.version + 1, submitted_at = $4
         FROM r WHERE b.round_id = r.id AND b.item_code = $2 AND b.manufacturer_id = $3 AND NOT b.withdrawn
       RETURNING b.version),
     e AS (
       INSERT INTO audit_pending (chain, type, at, actor, data)
       SELECT $1, 'bid.withdrawn', $5, $3, json_build_object('itemCode', $2::text, 'manufacturerId', $3::text, 'version', w.version)::jsonb FROM w)
     SELECT version FROM w`, [roundId, itemCode, p.orgId, now, now.toISOString()]);
  const vkey = `${roundId}\u0000${itemCode}\u0000${p.orgId}`;
  if (!done.length) {
    versions.delete(vkey);
    const [again] = await ctx.db.query<WindowRow>(WINDOW_SQL, [roundId]);
    checkWindow(again, now);
    throw notFound('Bid');
  }
  remember(versions, vkey, done[0].version);
}

/** Before opening: a bidder's own bids without prices; alliance/operator get 409. After: prices from the results. */
export async function listBids(ctx: AppContext, p: Principal, r: RoundRow, q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 2) ?? ['', ''];
  const opened = isOpened(phaseOf(r));
  if (!opened && p.role !== 'manufacturer') throw invalidState('Bids are sealed until the round is opened');
  const own = p.role === 'manufacturer';
  const rows = await ctx.db.query<{
    item_code: string; manufacturer_id: string; product_id: string; version: number; submitted_at: Date; digest: string;
    package_price: string | null; salt: string | null;
  }>(
    `SELECT b.item_code, b.manufacturer_id, b.product_id, b.version, b.submitted_at, b.digest,
            ${opened ? 'br.package_price::text AS package_price, br.salt' : 'NULL AS package_price, NULL AS salt'}
       FROM bids b ${opened ? 'LEFT JOIN bid_results br ON br.round_id = b.round_id AND br.item_code = b.item_code AND br.manufacturer_id = b.manufacturer_id' : ''}
      WHERE b.round_id = $1 AND NOT b.withdrawn ${own ? 'AND b.manufacturer_id = $4' : ''}
        AND (b.item_code, b.manufacturer_id) > ($2, $3)
      ORDER BY b.item_code, b.manufacturer_id LIMIT ${limit + 1}`,
    own ? [r.id, after[0], after[1], p.orgId] : [r.id, after[0], after[1]]);
  return toPage(rows, limit, (b) => [b.item_code, b.manufacturer_id], (b) => ({
    itemCode: b.item_code, manufacturerId: b.manufacturer_id, productId: b.product_id, version: b.version,
    submittedAt: b.submitted_at.toISOString(),
    ...(opened && b.package_price !== null ? { packagePrice: fmt4(new D(b.package_price))! } : {}),
    receipt: opened && b.salt ? { digest: b.digest, salt: b.salt } : { digest: b.digest },
  }));
}

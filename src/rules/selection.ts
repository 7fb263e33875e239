// Evaluation of one item at opening: eligibility, candidates, ranking, winners
// (DOMAIN.md "Eligibility of a bid" and "Winner selection").
import { D, type Dec, mean } from './decimal.js';
import { type Rules, stepLookup } from './presets.js';
import { type Strength, strengthFactor } from './strength.js';

export interface ItemForEvaluation {
  code: string;
  category: 'drug' | 'consumable';
  referenceStrength: Strength | null;
  strengthPriceRatio: string;
  maxUnitPrice: string;
  baselineUnitPrice: string;
  /** Item-fixed ratio; overrides rules.agreedVolumeRatios. */
  agreedVolumeRatio: string | null;
  /** Item's own tiers (consumables); null → rules.eligibleQualityTiers. */
  eligibleQualityTiers: string[] | null;
}

export interface BidForEvaluation {
  manufacturerId: string;
  productId: string;
  packagePrice: string;
  packSize: number;
  strength: Strength | null;
  productVerified: boolean;
  qualityTier: string;
  /** The manufacturer has a suspension covering bidClosesAt (decided by the caller). */
  manufacturerSuspended: boolean;
  /** The alliance upheld an objection against this bid during the notice period. */
  objectionUpheld?: boolean;
  /** Server's strictly increasing order of the bid's last accepted write. */
  submissionSeq: bigint | number | string;
}

export type IneligibleReason = 'unverified_product' | 'quality_tier' | 'manufacturer_suspended' | 'objection_upheld';
export type CandidateBy = 'lowest' | 'spread' | 'floor' | 'drop';
export type Outcome = 'awarded' | 'no_eligible_bids' | 'insufficient_bidders';

export interface BidResult {
  manufacturerId: string;
  productId: string;
  packagePrice: Dec;
  unitPrice: Dec;
  comparableUnitPrice: Dec;
  eligible: boolean;
  reason: IneligibleReason | null;
  candidateBy: CandidateBy | null;
  rank: number | null;
  winner: boolean;
}

export interface ItemResult {
  itemCode: string;
  outcome: Outcome;
  eligibleBidders: number;
  lowest: Dec | null;
  anchor: Dec | null;
  maxWinners: number | null;
  agreedVolumeRatio: Dec | null;
  priceDrop: Dec | null;
  /** Same order as the input bids. */
  bids: BidResult[];
}

/** Thrown when a bid's product does not match its item; bid submission must refuse such bids. */
export class ProductMismatchError extends Error {
  constructor(
    readonly itemCode: string,
    readonly manufacturerId: string,
    readonly productId: string,
  ) {
    super(`product ${productId} of ${manufacturerId} does not match item ${itemCode} (strength units cannot be converted)`);
    this.name = 'ProductMismatchError';
  }
}

/** What a comparable price depends on besides the package price: fixed per item and product. */
export interface PriceBasis { packSize: number; factor: Dec }

/** The basis of comparableUnitPrice; null when the strength cannot be converted or packSize < 1. */
export function priceBasis(
  item: Pick<ItemForEvaluation, 'referenceStrength' | 'strengthPriceRatio'>,
  packSize: number,
  strength: Strength | null,
): PriceBasis | null {
  if (!Number.isSafeInteger(packSize) || packSize < 1) return null;
  const factor = strengthFactor(new D(item.strengthPriceRatio), item.referenceStrength, strength);
  return factor === null ? null : { packSize, factor };
}

/** unitPrice = packagePrice / packSize; comparable = unitPrice × r^log2(ref / strength). */
export function priceOn(basis: PriceBasis, packagePrice: Dec): { unitPrice: Dec; comparableUnitPrice: Dec } {
  const unitPrice = packagePrice.div(basis.packSize);
  return { unitPrice, comparableUnitPrice: unitPrice.times(basis.factor) };
}

/** priceOn over priceBasis; null when the product's strength cannot be converted (no match) or packSize < 1. */
export function comparableUnitPrice(
  item: Pick<ItemForEvaluation, 'referenceStrength' | 'strengthPriceRatio'>,
  packagePrice: Dec,
  packSize: number,
  strength: Strength | null,
): { unitPrice: Dec; comparableUnitPrice: Dec } | null {
  const basis = priceBasis(item, packSize, strength);
  return basis && priceOn(basis, packagePrice);
}

/** First reason that applies, in the order DOMAIN.md fixes. */
function ineligibility(item: ItemForEvaluation, bid: BidForEvaluation, rules: Rules): IneligibleReason | null {
  if (!bid.productVerified) return 'unverified_product';
  // An item that names its own tiers (consumables) replaces the round's tiers entirely.
  const tiers = item.eligibleQualityTiers ?? rules.eligibleQualityTiers;
  if (!tiers.includes(bid.qualityTier)) return 'quality_tier';
  if (bid.manufacturerSuspended) return 'manufacturer_suspended';
  if (bid.objectionUpheld) return 'objection_upheld';
  return null;
}

/** Which candidate test holds first, or null. */
function candidateTest(comparable: Dec, lowest: Dec, anchor: Dec, item: ItemForEvaluation, rules: Rules): CandidateBy | null {
  if (comparable.eq(lowest)) return 'lowest';
  if (rules.spreadCap !== null && comparable.lte(anchor.times(rules.spreadCap))) return 'spread';
  if (rules.priceFloor !== null && comparable.lte(rules.priceFloor)) return 'floor';
  if (rules.dropFromMax !== null) {
    const max = new D(item.maxUnitPrice);
    // A non-positive maximum gives no meaningful drop; the test cannot hold.
    if (max.gt(0) && new D(1).minus(comparable.div(max)).gte(rules.dropFromMax)) return 'drop';
  }
  return null;
}

function seqOf(s: bigint | number | string): bigint {
  return typeof s === 'bigint' ? s : BigInt(s);
}

/** Step 1: every bid's prices and eligibility (same order as the bids). */
function priceBids(item: ItemForEvaluation, bids: readonly BidForEvaluation[], rules: Rules): BidResult[] {
  return bids.map((bid) => {
    const packagePrice = new D(bid.packagePrice);
    const prices = comparableUnitPrice(item, packagePrice, bid.packSize, bid.strength);
    if (prices === null) throw new ProductMismatchError(item.code, bid.manufacturerId, bid.productId);
    const reason = ineligibility(item, bid, rules);
    return {
      manufacturerId: bid.manufacturerId, productId: bid.productId, packagePrice,
      unitPrice: prices.unitPrice, comparableUnitPrice: prices.comparableUnitPrice,
      eligible: reason === null, reason, candidateBy: null, rank: null, winner: false,
    };
  });
}

interface Candidate { r: BidResult; seq: bigint }

/** Steps 2–4: the anchor, the candidate tests and the exclusion of the highest price. */
function candidatesOf(eligible: readonly { r: BidResult; bid: BidForEvaluation }[], item: ItemForEvaluation, rules: Rules) {
  const n = eligible.length;
  const prices = eligible.map((x) => x.r.comparableUnitPrice);
  const lowest = D.min(...prices);
  const highest = D.max(...prices);
  const anchor = rules.anchor === 'half_mean' ? D.max(lowest, mean(prices)!.times('0.5')) : lowest;
  const candidates: Candidate[] = [];
  for (const { r, bid } of eligible) {
    const c = r.comparableUnitPrice;
    // Step 4: the highest price is excluded even if a test holds, unless it is also the lowest.
    if (rules.excludeHighest && n >= 2 && c.eq(highest) && !c.eq(lowest)) continue;
    r.candidateBy = candidateTest(c, lowest, anchor, item, rules);
    if (r.candidateBy !== null) candidates.push({ r, seq: seqOf(bid.submissionSeq) });
  }
  return { lowest, anchor, candidates };
}

/** Step 5: ranks by comparable price, then earlier final submission, then manufacturer id; the first maxWinners win. */
function rankAndAward(candidates: Candidate[], maxWinners: number): Dec[] {
  candidates.sort((a, b) => {
    const byPrice = a.r.comparableUnitPrice.comparedTo(b.r.comparableUnitPrice);
    if (byPrice !== 0) return byPrice;
    if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
    // Plain code-unit order, independent of locale.
    return a.r.manufacturerId < b.r.manufacturerId ? -1 : a.r.manufacturerId > b.r.manufacturerId ? 1 : 0;
  });
  const winners: Dec[] = [];
  candidates.forEach((c, i) => {
    c.r.rank = i + 1;
    if (i < maxWinners) {
      c.r.winner = true;
      winners.push(c.r.comparableUnitPrice);
    }
  });
  return winners;
}

/** One item's evaluation (DOMAIN.md "Eligibility" and "Winner selection"), step by step. */
export function evaluateItem(item: ItemForEvaluation, bids: BidForEvaluation[], rules: Rules): ItemResult {
  const results = priceBids(item, bids, rules);
  const eligible = results.map((r, i) => ({ r, bid: bids[i]! })).filter((x) => x.r.eligible);
  const n = eligible.length;
  const noWinners = (outcome: Outcome): ItemResult => ({
    itemCode: item.code, outcome, eligibleBidders: n, lowest: null, anchor: null, maxWinners: null,
    agreedVolumeRatio: null, priceDrop: null, bids: results,
  });
  if (n === 0) return noWinners('no_eligible_bids');
  if (n < rules.minBidders) return noWinners('insufficient_bidders');

  const { lowest, anchor, candidates } = candidatesOf(eligible, item, rules);
  const maxWinners = stepLookup(rules.maxWinners, n);
  if (maxWinners === null) throw new Error(`rules.maxWinners has no step for n = ${n}`);
  const winners = rankAndAward(candidates, maxWinners);

  // Step 6; the lowest bid is always a candidate, so an awarded item has at least one winner.
  const ratioText = item.agreedVolumeRatio ?? stepLookup(rules.agreedVolumeRatios, winners.length);
  const baseline = new D(item.baselineUnitPrice);
  const priceDrop = baseline.gt(0) ? new D(1).minus(mean(winners)!.div(baseline)) : null;
  return {
    itemCode: item.code, outcome: 'awarded', eligibleBidders: n, lowest, anchor, maxWinners,
    agreedVolumeRatio: ratioText === null ? null : new D(ratioText), priceDrop, bids: results,
  };
}

/** Round averageDrop: plain mean of priceDrop over items with winners; null when none has. */
export function roundDrops(items: readonly Pick<ItemResult, 'outcome' | 'priceDrop'>[]): { averageDrop: Dec | null } {
  const drops = items.filter((i) => i.outcome === 'awarded' && i.priceDrop !== null).map((i) => i.priceDrop!);
  return { averageDrop: mean(drops) };
}

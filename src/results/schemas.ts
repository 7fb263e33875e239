import { Type, type Static } from '@sinclair/typebox';
import { NullableDecimal4, Decimal4 } from '../http/schemas.js';

export const BidOutcome = Type.Object({
  manufacturerId: Type.String(), productId: Type.String(), packagePrice: Decimal4, unitPrice: Decimal4,
  comparableUnitPrice: Decimal4, eligible: Type.Boolean(),
  reason: Type.Union([Type.Literal('unverified_product'), Type.Literal('quality_tier'), Type.Literal('manufacturer_suspended'), Type.Literal('objection_upheld'), Type.Null()]),
  candidateBy: Type.Union([Type.Literal('lowest'), Type.Literal('spread'), Type.Literal('floor'), Type.Literal('drop'), Type.Null()]),
  rank: Type.Union([Type.Integer(), Type.Null()]), winner: Type.Boolean(),
});

export const ItemOutcome = Type.Object({
  itemCode: Type.String(),
  outcome: Type.Union([Type.Literal('awarded'), Type.Literal('no_eligible_bids'), Type.Literal('insufficient_bidders')]),
  eligibleBidders: Type.Integer(), lowest: NullableDecimal4, anchor: NullableDecimal4,
  maxWinners: Type.Union([Type.Integer(), Type.Null()]), agreedVolumeRatio: NullableDecimal4,
  totalDemand: Type.Integer(), priceDrop: NullableDecimal4, bids: Type.Array(BidOutcome),
});

export const Results = Type.Object({
  round: Type.Object({ items: Type.Integer(), awardedItems: Type.Integer(), averageDrop: NullableDecimal4, weightedDrop: NullableDecimal4 }),
  items: Type.Array(ItemOutcome),
});

export const PreferenceInput = Type.Object({
  regionCodes: Type.Array(Type.String({ pattern: '^[0-9]{6}$' }), { maxItems: 400, description: "unit codes at the round's regionLevel, most wanted first" }),
}, { additionalProperties: false });
export const Preference = Type.Object({ itemCode: Type.String(), manufacturerId: Type.String(), regionCodes: Type.Array(Type.String()) });

export const Allocation = Type.Object({ itemCode: Type.String(), regionCode: Type.String(), manufacturerId: Type.String(), productId: Type.String() });
export const Agreement = Type.Object({
  hospitalId: Type.String(), itemCode: Type.String(), manufacturerId: Type.String(), productId: Type.String(),
  demand: Type.Integer(), agreedQuantity: Type.Integer(), unitPrice: Decimal4, comparableUnitPrice: Decimal4,
});
export type Results = Static<typeof Results>;

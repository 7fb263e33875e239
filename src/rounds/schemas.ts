import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../http/pagination.js';
import { Category, StrengthSchema } from '../catalogue/schemas.js';
import { Decimal4, DecimalInput } from '../http/schemas.js';
import { ROUND_STATES } from './lifecycle.js';

export const RoundState = Type.Union(ROUND_STATES.map((s) => Type.Literal(s)));
export const YearMonth = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' });

export const RulesInput = Type.Object({
  preset: Type.Union([Type.Literal('nvbp'), Type.Literal('pilot-4+7'), Type.Literal('anchor-2025')]),
}, { additionalProperties: true, description: 'a preset plus overrides of whole top-level fields (monitoring field by field); see DOMAIN.md' });

export const RoundInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  rules: RulesInput,
  bidOpensAt: Type.String({ format: 'date-time' }),
  bidClosesAt: Type.String({ format: 'date-time' }),
  contractMonths: Type.Integer({ minimum: 1, maximum: 120 }),
  contractStart: Type.Optional(Type.Union([YearMonth, Type.Null()])),
  allianceId: Type.Optional(Type.String({ maxLength: 64, description: 'operator only: the alliance the round belongs to' })),
  autoStartBidding: Type.Optional(Type.Boolean({ description: 'the scheduler moves the round from demand to bidding at bidOpensAt (default false)' })),
  autoOpen: Type.Optional(Type.Boolean({ description: 'the scheduler opens the round at bidClosesAt, as POST /open would (default false)' })),
}, { additionalProperties: false });
export type RoundInput = Static<typeof RoundInput>;

export const RoundPatch = Type.Partial(Type.Omit(RoundInput, ['allianceId']), { additionalProperties: false, minProperties: 1 });
export type RoundPatch = Static<typeof RoundPatch>;

export const Round = Type.Object({
  id: Type.String(), allianceId: Type.String(), name: Type.String(), state: RoundState,
  rules: Type.Record(Type.String(), Type.Unknown()),
  regionCodes: Type.Array(Type.String()),
  bidOpensAt: Type.String(), bidClosesAt: Type.String(), contractMonths: Type.Integer(),
  contractStart: Type.Union([YearMonth, Type.Null()]),
  createdAt: Type.String(), updatedAt: Type.String(),
  openedAt: Type.Union([Type.String(), Type.Null()]), awardedAt: Type.Union([Type.String(), Type.Null()]),
  autoStartBidding: Type.Boolean(), autoOpen: Type.Boolean(),
  noticeEndsAt: Type.Union([Type.String({ description: 'openedAt + rules.noticeMinutes; null when there is no notice period' }), Type.Null()]),
});
export type Round = Static<typeof Round>;

export const ItemCode = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$', description: 'unique per round' });

export const ItemInput = Type.Object({
  code: ItemCode,
  genericName: Type.String({ minLength: 1, maxLength: 200 }),
  dosageForm: Type.String({ minLength: 1, maxLength: 100 }),
  category: Category,
  unit: Type.String({ minLength: 1, maxLength: 50, description: 'the counted unit: tablet, vial, piece' }),
  referenceStrength: Type.Optional(Type.Union([StrengthSchema, Type.Null()])),
  strengthPriceRatio: Type.Optional(DecimalInput),
  maxUnitPrice: DecimalInput,
  baselineUnitPrice: DecimalInput,
  agreedVolumeRatio: Type.Optional(Type.Union([DecimalInput, Type.Null()])),
  eligibleQualityTiers: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { minItems: 1, maxItems: 20 }), Type.Null()])),
}, { additionalProperties: false });
export type ItemInput = Static<typeof ItemInput>;

export const Item = Type.Object({
  code: Type.String(), genericName: Type.String(), dosageForm: Type.String(), category: Category, unit: Type.String(),
  referenceStrength: Type.Union([StrengthSchema, Type.Null()]),
  strengthPriceRatio: Decimal4, maxUnitPrice: Decimal4, baselineUnitPrice: Decimal4,
  agreedVolumeRatio: Type.Union([Decimal4, Type.Null()]),
  eligibleQualityTiers: Type.Union([Type.Array(Type.String()), Type.Null()]),
});
export type Item = Static<typeof Item>;

export const RoundQuery = Type.Object({ ...PageQuery, state: Type.Optional(RoundState) });
export type RoundQuery = Static<typeof RoundQuery>;

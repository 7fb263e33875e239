import { Type, type Static } from '@sinclair/typebox';
import { IdParam, NullableTimestamp, Timestamp } from '../http/schemas.js';
import { ItemCode } from '../rounds/schemas.js';

export const ObjectionInput = Type.Object({
  itemCode: ItemCode,
  manufacturerId: Type.String({ minLength: 1, maxLength: 64, description: 'the manufacturer whose bid on the item is objected to' }),
  reason: Type.String({ minLength: 1, maxLength: 4000 }),
}, { additionalProperties: false });
export type ObjectionInput = Static<typeof ObjectionInput>;

export const ObjectionDecisionInput = Type.Object({
  decision: Type.Union([Type.Literal('upheld'), Type.Literal('dismissed')]),
  reason: Type.String({ minLength: 1, maxLength: 4000 }),
}, { additionalProperties: false });
export type ObjectionDecisionInput = Static<typeof ObjectionDecisionInput>;

export const Objection = Type.Object({
  id: Type.String(), itemCode: Type.String(), manufacturerId: Type.String(), reason: Type.String(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('upheld'), Type.Literal('dismissed')]),
  decisionReason: Type.Union([Type.String(), Type.Null()]),
  filedAt: Timestamp, decidedAt: NullableTimestamp,
  filedBy: Type.Union([Type.String(), Type.Null()], { description: 'the objector: shown to the alliance, the operator and the objector only (null for others)' }),
});
export type Objection = Static<typeof Objection>;

export const ObjectionParams = Type.Object({ ...IdParam.properties, oid: Type.String({ minLength: 1, maxLength: 64 }) });

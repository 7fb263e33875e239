import { Type, type Static } from '@sinclair/typebox';
import { ItemCode } from '../rounds/schemas.js';

export const MAX_QUANTITY = 1_000_000_000;

export const DemandInput = Type.Object({
  quantity: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY, description: 'yearly demand in reference units' }),
  preferredManufacturerId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
}, { additionalProperties: false });

export const DemandLine = Type.Object({
  hospitalId: Type.String(), itemCode: Type.String(), quantity: Type.Integer(),
  preferredManufacturerId: Type.Union([Type.String(), Type.Null()]),
});

export const DemandAggregate = Type.Object({ itemCode: Type.String(), hospitals: Type.Integer(), quantity: Type.Integer() });

export const DemandParams = Type.Object({ id: Type.String({ maxLength: 64 }), itemCode: ItemCode });
export type DemandInput = Static<typeof DemandInput>;

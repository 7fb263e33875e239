import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../http/pagination.js';

export const StrengthSchema = Type.Object({
  value: Type.String({ pattern: '^[0-9]{1,9}(\\.[0-9]{1,6})?$', description: 'decimal string, e.g. "0.5"' }),
  unit: Type.String({ minLength: 1, maxLength: 8, description: 'g mg µg mcg ug l ml IU U' }),
}, { additionalProperties: false });

export const Category = Type.Union([Type.Literal('drug'), Type.Literal('consumable')]);
export const DRUG_TIERS = ['originator', 'reference', 'consistency_passed', 'not_evaluated'];

export const ProductInput = Type.Object({
  genericName: Type.String({ minLength: 1, maxLength: 200 }),
  dosageForm: Type.String({ minLength: 1, maxLength: 100 }),
  category: Category,
  strength: Type.Optional(StrengthSchema),
  packSize: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  approvalNumber: Type.String({ minLength: 1, maxLength: 100 }),
  qualityTier: Type.String({ minLength: 1, maxLength: 50, description: 'drugs: originator|reference|consistency_passed|not_evaluated; consumables name their own tiers' }),
}, { additionalProperties: false });
export type ProductInput = Static<typeof ProductInput>;

export const Product = Type.Object({
  id: Type.String(), manufacturerId: Type.String(), genericName: Type.String(), dosageForm: Type.String(),
  category: Category, strength: Type.Union([StrengthSchema, Type.Null()]), packSize: Type.Integer(),
  approvalNumber: Type.String(), qualityTier: Type.String(), verified: Type.Boolean(),
  verifiedAt: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String(),
});
export type Product = Static<typeof Product>;

export const ProductQuery = Type.Object({
  ...PageQuery,
  manufacturerId: Type.Optional(Type.String({ maxLength: 64 })),
  genericName: Type.Optional(Type.String({ maxLength: 200 })),
  verified: Type.Optional(Type.Boolean()),
});
export type ProductQuery = Static<typeof ProductQuery>;

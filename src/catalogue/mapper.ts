import type { products } from '../db/schema.js';
import type { Strength } from '../rules/strength.js';
import type { Product } from './schemas.js';

export type ProductRow = typeof products.$inferSelect;

/** A stored strength (value, unit columns) as the rules and the API see it; null for consumables. */
export const strengthOf = (value: string | null, unit: string | null): Strength | null =>
  value === null || unit === null ? null : { value, unit };

export const toProduct = (r: ProductRow): Product => ({
  id: r.id, manufacturerId: r.manufacturerId, genericName: r.genericName, dosageForm: r.dosageForm, category: r.category,
  strength: strengthOf(r.strengthValue, r.strengthUnit),
  packSize: r.packSize, approvalNumber: r.approvalNumber, qualityTier: r.qualityTier, verified: r.verified,
  verifiedAt: r.verifiedAt ? r.verifiedAt.toISOString() : null, createdAt: r.createdAt.toISOString(),
});

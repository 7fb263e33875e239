import type { items, rounds } from '../db/schema.js';
import { strengthOf } from '../catalogue/mapper.js';
import { D, fmt4 } from '../rules/decimal.js';
import type { ItemForEvaluation } from '../rules/selection.js';
import type { Item, Round } from './schemas.js';

/** A stored round, as drizzle reads it. */
export type RoundRow = typeof rounds.$inferSelect;
/** A stored item, as drizzle reads it. */
export type ItemRow = typeof items.$inferSelect;

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const dec4 = (v: string) => fmt4(new D(v))!;

export const toRound = (r: RoundRow): Round => ({
  id: r.id, allianceId: r.allianceId, name: r.name, state: r.state, rules: { ...r.rules }, regionCodes: r.regionCodes,
  bidOpensAt: r.bidOpensAt.toISOString(), bidClosesAt: r.bidClosesAt.toISOString(), contractMonths: r.contractMonths,
  contractStart: r.contractStart, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  openedAt: iso(r.openedAt), awardedAt: iso(r.awardedAt),
  autoStartBidding: r.autoStartBidding, autoOpen: r.autoOpen, noticeEndsAt: iso(r.noticeEndsAt),
});

export const toItem = (r: ItemRow): Item => ({
  code: r.code, genericName: r.genericName, dosageForm: r.dosageForm, category: r.category, unit: r.unit,
  referenceStrength: strengthOf(r.referenceStrengthValue, r.referenceStrengthUnit),
  strengthPriceRatio: dec4(r.strengthPriceRatio), maxUnitPrice: dec4(r.maxUnitPrice), baselineUnitPrice: dec4(r.baselineUnitPrice),
  agreedVolumeRatio: r.agreedVolumeRatio === null ? null : dec4(r.agreedVolumeRatio),
  eligibleQualityTiers: r.eligibleQualityTiers,
});

/** What the pure selection rules need of an item. */
export const itemForEvaluation = (r: ItemRow): ItemForEvaluation => ({
  code: r.code, category: r.category, referenceStrength: strengthOf(r.referenceStrengthValue, r.referenceStrengthUnit),
  strengthPriceRatio: r.strengthPriceRatio, maxUnitPrice: r.maxUnitPrice, baselineUnitPrice: r.baselineUnitPrice,
  agreedVolumeRatio: r.agreedVolumeRatio, eligibleQualityTiers: r.eligibleQualityTiers,
});

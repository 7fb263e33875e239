// Builders shared by the unit tests (not a test file itself).
import type { BidForEvaluation, ItemForEvaluation } from '../../src/rules/selection.js';
import { resolveRules, type Rules } from '../../src/rules/presets.js';

export function item(over: Partial<ItemForEvaluation> = {}): ItemForEvaluation {
  return {
    code: 'IT',
    category: 'drug',
    referenceStrength: { value: '20', unit: 'mg' },
    strengthPriceRatio: '1.7',
    maxUnitPrice: '3.0000',
    baselineUnitPrice: '2.5000',
    agreedVolumeRatio: null,
    eligibleQualityTiers: null,
    ...over,
  };
}

let seq = 0;
/** A verified, consistency-passed 20 mg bid with packSize 1 (so packagePrice = comparable). */
export function bid(manufacturerId: string, packagePrice: string, over: Partial<BidForEvaluation> = {}): BidForEvaluation {
  seq += 1;
  return {
    manufacturerId,
    productId: `P-${manufacturerId}`,
    packagePrice,
    packSize: 1,
    strength: { value: '20', unit: 'mg' },
    productVerified: true,
    qualityTier: 'consistency_passed',
    manufacturerSuspended: false,
    submissionSeq: seq,
    ...over,
  };
}

export function rules(input: Record<string, unknown> = {}): Rules {
  const r = resolveRules({ preset: 'nvbp', ...input });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.rules;
}

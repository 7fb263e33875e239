/**
 * The database schema (drizzle). Migrations in migrations/ are generated from
 * this file with `npm run db:generate`; queries are written as SQL where they
 * are set-based, and every table here is the single definition of its shape.
 */
import { sql } from 'drizzle-orm';
import {
  pgSequence,
  pgView,
  bigint, bigserial, boolean, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';

/** The server's strictly increasing order of accepted bid writes. */
export const bidSubmissionSeq = pgSequence('bid_submission_seq');

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  name: text('name').notNull(),
  regionCode: text('region_code').notNull(),
  regionCodes: text('region_codes').array(),
  externalId: text('external_id'),
  createdAt: tstz('created_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('organizations_external_id_key').on(t.externalId),
  index('organizations_kind_region_idx').on(t.kind, t.regionCode),
]);

export const tokens = pgTable('tokens', {
  id: text('id').primaryKey(),
  organizationId: text('organization_id').notNull().references(() => organizations.id),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull(),
  createdAt: tstz('created_at').notNull().defaultNow(),
  revokedAt: tstz('revoked_at'),
}, (t) => [uniqueIndex('tokens_hash_key').on(t.tokenHash)]);

export const suspensions = pgTable('suspensions', {
  id: text('id').primaryKey(),
  organizationId: text('organization_id').notNull().references(() => organizations.id),
  from: tstz('from').notNull(),
  until: tstz('until'),
  reason: text('reason').notNull(),
  createdAt: tstz('created_at').notNull().defaultNow(),
}, (t) => [index('suspensions_org_idx').on(t.organizationId)]);

export const products = pgTable('products', {
  id: text('id').primaryKey(),
  manufacturerId: text('manufacturer_id').notNull().references(() => organizations.id),
  genericName: text('generic_name').notNull(),
  dosageForm: text('dosage_form').notNull(),
  category: text('category').notNull(),
  strengthValue: numeric('strength_value'),
  strengthUnit: text('strength_unit'),
  packSize: integer('pack_size').notNull(),
  approvalNumber: text('approval_number').notNull(),
  qualityTier: text('quality_tier').notNull(),
  verified: boolean('verified').notNull().default(false),
  verifiedAt: tstz('verified_at'),
  verifiedBy: text('verified_by'),
  createdAt: tstz('created_at').notNull().defaultNow(),
}, (t) => [
  index('products_manufacturer_idx').on(t.manufacturerId),
  index('products_generic_idx').on(t.genericName),
]);

export const rounds = pgTable('rounds', {
  id: text('id').primaryKey(),
  allianceId: text('alliance_id').notNull().references(() => organizations.id),
  name: text('name').notNull(),
  state: text('state').notNull(),
  rules: jsonb('rules').notNull(),
  bidOpensAt: tstz('bid_opens_at').notNull(),
  bidClosesAt: tstz('bid_closes_at').notNull(),
  contractMonths: integer('contract_months').notNull(),
  contractStart: text('contract_start'),
  /** The alliance's regions when the round was created: the round's hospitals are those under them. */
  regionCodes: text('region_codes').array().notNull(),
  /** Bids are sealed to this X25519 public key (DER SPKI, base64). */
  bidPublicKey: text('bid_public_key').notNull(),
  /** The round key (X25519 private key), wrapped by the key-encryption key; unwrapped only at opening. */
  wrappedRoundKey: text('wrapped_round_key').notNull(),
  createdAt: tstz('created_at').notNull().defaultNow(),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
  openedAt: tstz('opened_at'),
  awardedAt: tstz('awarded_at'),
}, (t) => [index('rounds_alliance_idx').on(t.allianceId)]);

export const items = pgTable('items', {
  roundId: text('round_id').notNull().references(() => rounds.id),
  code: text('code').notNull(),
  genericName: text('generic_name').notNull(),
  dosageForm: text('dosage_form').notNull(),
  category: text('category').notNull(),
  unit: text('unit').notNull(),
  referenceStrengthValue: numeric('reference_strength_value'),
  referenceStrengthUnit: text('reference_strength_unit'),
  strengthPriceRatio: numeric('strength_price_ratio').notNull(),
  maxUnitPrice: numeric('max_unit_price').notNull(),
  baselineUnitPrice: numeric('baseline_unit_price').notNull(),
  agreedVolumeRatio: numeric('agreed_volume_ratio'),
  eligibleQualityTiers: text('eligible_quality_tiers').array(),
  createdAt: tstz('created_at').notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.roundId, t.code] })]);

export const demand = pgTable('demand', {
  roundId: text('round_id').notNull(),
  itemCode: text('item_code').notNull(),
  hospitalId: text('hospital_id').notNull(),
  quantity: integer('quantity').notNull(),
  preferredManufacturerId: text('preferred_manufacturer_id'),
}, (t) => [
  // Hospital first: a hospital's lines and agreements are a key range, and uploads merge in this order.
  primaryKey({ columns: [t.roundId, t.hospitalId, t.itemCode] }),
]);

/** One row per manufacturer and item; the price lives only inside `sealed` until opening. */
export const bids = pgTable('bids', {
  roundId: text('round_id').notNull(),
  itemCode: text('item_code').notNull(),
  manufacturerId: text('manufacturer_id').notNull(),
  productId: text('product_id').notNull(),
  /** base64 of iv ‖ tag ‖ AES-256-GCM ciphertext of {packagePrice, salt}. */
  sealed: text('sealed').notNull(),
  digest: text('digest').notNull(),
  version: integer('version').notNull(),
  /** Strictly increasing order of accepted bid writes (ties in ranking). */
  submissionSeq: bigint('submission_seq', { mode: 'number' }).notNull(),
  submittedAt: tstz('submitted_at').notNull(),
  withdrawn: boolean('withdrawn').notNull().default(false),
}, (t) => [primaryKey({ columns: [t.roundId, t.itemCode, t.manufacturerId] })]);

export const itemResults = pgTable('item_results', {
  roundId: text('round_id').notNull(),
  itemCode: text('item_code').notNull(),
  outcome: text('outcome').notNull(),
  eligibleBidders: integer('eligible_bidders').notNull(),
  lowest: numeric('lowest'),
  anchor: numeric('anchor'),
  maxWinners: integer('max_winners'),
  agreedVolumeRatio: numeric('agreed_volume_ratio'),
  totalDemand: bigint('total_demand', { mode: 'number' }).notNull(),
  priceDrop: numeric('price_drop'),
}, (t) => [primaryKey({ columns: [t.roundId, t.itemCode] })]);

export const bidResults = pgTable('bid_results', {
  roundId: text('round_id').notNull(),
  itemCode: text('item_code').notNull(),
  manufacturerId: text('manufacturer_id').notNull(),
  productId: text('product_id').notNull(),
  packagePrice: numeric('package_price').notNull(),
  unitPrice: numeric('unit_price').notNull(),
  comparableUnitPrice: numeric('comparable_unit_price').notNull(),
  eligible: boolean('eligible').notNull(),
  reason: text('reason'),
  candidateBy: text('candidate_by'),
  rank: integer('rank'),
  winner: boolean('winner').notNull(),
  /** Revealed with the price at opening, so the bidder's receipt can be checked by anyone. */
  salt: text('salt').notNull(),
  digest: text('digest').notNull(),
  submissionSeq: bigint('submission_seq', { mode: 'number' }).notNull(),
}, (t) => [primaryKey({ columns: [t.roundId, t.itemCode, t.manufacturerId] })]);

export const regionPreferences = pgTable('region_preferences', {
  roundId: text('round_id').notNull(),
  itemCode: text('item_code').notNull(),
  manufacturerId: text('manufacturer_id').notNull(),
  regionCodes: text('region_codes').array().notNull(),
}, (t) => [primaryKey({ columns: [t.roundId, t.itemCode, t.manufacturerId] })]);

export const allocations = pgTable('allocations', {
  roundId: text('round_id').notNull(),
  itemCode: text('item_code').notNull(),
  regionCode: text('region_code').notNull(),
  manufacturerId: text('manufacturer_id').notNull(),
  productId: text('product_id').notNull(),
}, (t) => [primaryKey({ columns: [t.roundId, t.itemCode, t.regionCode] })]);

/**
 * Per-hospital agreements are derived, not copied: demand, allocations and
 * results are frozen once a round is awarded, so a view gives every hospital's
 * supplier, agreed quantity (half up) and prices. Award then writes only
 * allocations and totals (hundreds of rows) instead of one row per hospital and item.
 */
export const agreements = pgView('agreements', {
  roundId: text('round_id').notNull(),
  itemCode: text('item_code').notNull(),
  hospitalId: text('hospital_id').notNull(),
  manufacturerId: text('manufacturer_id').notNull(),
  productId: text('product_id').notNull(),
  demand: integer('demand').notNull(),
  agreedQuantity: integer('agreed_quantity').notNull(),
  unitPrice: numeric('unit_price').notNull(),
  comparableUnitPrice: numeric('comparable_unit_price').notNull(),
}).as(sql`
  SELECT d.round_id, d.item_code, d.hospital_id, w.manufacturer_id, w.product_id, d.quantity AS demand,
         round(d.quantity * ir.agreed_volume_ratio)::int AS agreed_quantity, w.unit_price, w.comparable_unit_price
    FROM demand d
    JOIN rounds r ON r.id = d.round_id
    JOIN organizations h ON h.id = d.hospital_id
    JOIN item_results ir ON ir.round_id = d.round_id AND ir.item_code = d.item_code AND ir.outcome = 'awarded'
    JOIN allocations a ON a.round_id = d.round_id AND a.item_code = d.item_code
     AND a.region_code = CASE WHEN r.rules->>'regionLevel' = 'city' THEN substr(h.region_code, 1, 4) || '00'
                              ELSE substr(h.region_code, 1, 2) || '0000' END
    LEFT JOIN bid_results pw ON pw.round_id = d.round_id AND pw.item_code = d.item_code
     AND pw.manufacturer_id = d.preferred_manufacturer_id AND pw.winner
    JOIN bid_results w ON w.round_id = d.round_id AND w.item_code = d.item_code
     AND w.manufacturer_id = coalesce(pw.manufacturer_id, a.manufacturer_id)`);

/** Totals per item and winner, fixed at award (OCDS awards and the volume-weighted drop read these). */
export const awardTotals = pgTable('award_totals', {
  roundId: text('round_id').notNull(),
  itemCode: text('item_code').notNull(),
  manufacturerId: text('manufacturer_id').notNull(),
  hospitals: integer('hospitals').notNull(),
  agreedQuantity: bigint('agreed_quantity', { mode: 'number' }).notNull(),
  /** Σ agreedQuantity × comparableUnitPrice */
  amount: numeric('amount').notNull(),
  /** Σ agreedQuantity × baselineUnitPrice */
  baselineAmount: numeric('baseline_amount').notNull(),
}, (t) => [primaryKey({ columns: [t.roundId, t.itemCode, t.manufacturerId] })]);

/** Hash-chained events: chain is a round id, or 'platform'. */
export const auditEvents = pgTable('audit_events', {
  chain: text('chain').notNull(),
  seq: integer('seq').notNull(),
  type: text('type').notNull(),
  at: text('at').notNull(),
  actor: text('actor').notNull(),
  data: jsonb('data').notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
}, (t) => [primaryKey({ columns: [t.chain, t.seq] })]);

/**
 * Events written but not yet linked into their chain. Hot paths (bids) only
 * insert here, so they never wait on a chain's head lock; sealChain links
 * them in order, before any read of the chain and in the background.
 */
export const auditPending = pgTable('audit_pending', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  chain: text('chain').notNull(),
  type: text('type').notNull(),
  at: text('at').notNull(),
  actor: text('actor').notNull(),
  data: jsonb('data').notNull(),
}, (t) => [index('audit_pending_chain_idx').on(t.chain, t.id)]);

/** The head of each chain: one row lock serialises appends to a chain. */
export const auditHeads = pgTable('audit_heads', {
  chain: text('chain').primaryKey(),
  seq: integer('seq').notNull(),
  hash: text('hash').notNull(),
  prevHash: text('prev_hash').notNull(),
});

export const idempotencyKeys = pgTable('idempotency_keys', {
  scope: text('scope').notNull(),
  key: text('key').notNull(),
  requestHash: text('request_hash').notNull(),
  status: integer('status').notNull(),
  headers: jsonb('headers').notNull(),
  body: text('body').notNull(),
  createdAt: tstz('created_at').notNull().default(sql`now()`),
}, (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_created_idx').on(t.createdAt)]);

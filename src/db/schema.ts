/**
 * The database schema (drizzle). Migrations in migrations/ are generated from
 * this file with `npm run db:generate`; queries are written as SQL where they
 * are set-based, and every table here is the single definition of its shape.
 */
import { sql } from 'drizzle-orm';
import type { RoundState } from '../rounds/lifecycle.js';
import type { Rules } from '../rules/presets.js';
import {
  check, customType, pgSequence, pgView,
  bigint, bigserial, boolean, index, integer, jsonb, numeric, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';

/** The server's strictly increasing order of accepted bid writes. */
export const bidSubmissionSeq = pgSequence('bid_submission_seq');

export type OrgKind = 'alliance' | 'hospital' | 'manufacturer';
export type Category = 'drug' | 'consumable';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Compact keys: every entity the high-volume tables (demand, usage, deliveries)
 * refer to has an integer `no` beside its string id. Inside the database those
 * tables hold only these integers; the API keeps the string ids.
 */
const no = () => integer('no').notNull().generatedAlwaysAsIdentity();

export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  no: no(),
  kind: text('kind').$type<OrgKind>().notNull(),
  name: text('name').notNull(),
  regionCode: text('region_code').notNull(),
  /** The allocation units of DOMAIN.md as integers: 440103 → province 44, city 4401. */
  province: smallint('province').notNull().generatedAlwaysAs(sql`substr(region_code, 1, 2)::smallint`),
  city: smallint('city').notNull().generatedAlwaysAs(sql`substr(region_code, 1, 4)::smallint`),
  regionCodes: text('region_codes').array(),
  externalId: text('external_id'),
  createdAt: tstz('created_at').notNull().defaultNow(),
}, (t) => [
  uniqueIndex('organizations_no_key').on(t.no),
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
  no: no(),
  manufacturerId: text('manufacturer_id').notNull().references(() => organizations.id),
  genericName: text('generic_name').notNull(),
  dosageForm: text('dosage_form').notNull(),
  category: text('category').$type<Category>().notNull(),
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
  uniqueIndex('products_no_key').on(t.no),
  index('products_manufacturer_idx').on(t.manufacturerId),
  index('products_generic_idx').on(t.genericName),
]);

export const rounds = pgTable('rounds', {
  id: text('id').primaryKey(),
  no: no(),
  allianceId: text('alliance_id').notNull().references(() => organizations.id),
  name: text('name').notNull(),
  state: text('state').$type<RoundState>().notNull(),
  rules: jsonb('rules').$type<Rules>().notNull(),
  bidOpensAt: tstz('bid_opens_at').notNull(),
  bidClosesAt: tstz('bid_closes_at').notNull(),
  contractMonths: integer('contract_months').notNull(),
  contractStart: text('contract_start'),
  /** The alliance's regions when the round was created: the round's hospitals are those under them. */
  regionCodes: text('region_codes').array().notNull(),
  /** Bids are sealed to this X25519 public key (DER SPKI, base64). */
  bidPublicKey: text('bid_public_key').notNull(),
  /** The round key (X25519 private key), sealed to the opening key named by roundKeySealedTo; unsealed only at opening. */
  wrappedRoundKey: text('wrapped_round_key').notNull(),
  /** The opening key's id (src/bids/custody.ts openingKeyId); null: wrapped by the pre-0005 JICAI_BID_KEK (rotation re-seals it). */
  roundKeySealedTo: text('round_key_sealed_to'),
  createdAt: tstz('created_at').notNull().defaultNow(),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
  openedAt: tstz('opened_at'),
  awardedAt: tstz('awarded_at'),
  /** DOMAIN.md "Scheduled transitions": demand → bidding at bidOpensAt, bidding → opened at bidClosesAt. */
  autoStartBidding: boolean('auto_start_bidding').notNull().default(false),
  autoOpen: boolean('auto_open').notNull().default(false),
  /** openedAt + rules.noticeMinutes (null when 0): objections until then, no award before. */
  noticeEndsAt: tstz('notice_ends_at'),
}, (t) => [uniqueIndex('rounds_no_key').on(t.no), index('rounds_alliance_idx').on(t.allianceId)]);

export const items = pgTable('items', {
  roundId: text('round_id').notNull().references(() => rounds.id),
  code: text('code').notNull(),
  /** 1, 2, … within the round, in the order items were added: demand and usage rows name items by it. */
  no: smallint('no').notNull(),
  genericName: text('generic_name').notNull(),
  dosageForm: text('dosage_form').notNull(),
  category: text('category').$type<Category>().notNull(),
  unit: text('unit').notNull(),
  referenceStrengthValue: numeric('reference_strength_value'),
  referenceStrengthUnit: text('reference_strength_unit'),
  strengthPriceRatio: numeric('strength_price_ratio').notNull(),
  maxUnitPrice: numeric('max_unit_price').notNull(),
  baselineUnitPrice: numeric('baseline_unit_price').notNull(),
  agreedVolumeRatio: numeric('agreed_volume_ratio'),
  eligibleQualityTiers: text('eligible_quality_tiers').array(),
  createdAt: tstz('created_at').notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.roundId, t.code] }), uniqueIndex('items_round_no_key').on(t.roundId, t.no)]);

/**
 * Yearly demand per hospital and item: 3,000,000 rows in a national round, so
 * integer keys only (20 bytes of data a row; columns ordered so that none pads).
 * Hospital first: a hospital's lines and agreements are a key range, and uploads
 * (one hospital's lines after another) append to the index instead of splitting it.
 */
export const demand = pgTable('demand', {
  roundNo: integer('round_no').notNull(),
  hospitalNo: integer('hospital_no').notNull(),
  quantity: integer('quantity').notNull(),
  itemNo: smallint('item_no').notNull(),
  preferredNo: integer('preferred_no'),
  // The hospital's city (organizations.city, fixed as an organization's region is; its province is city / 100), so that
  // award groups the round's demand by supply unit without joining every line to its hospital (migration 0010).
  city: smallint('city').notNull(),
}, (t) => [
  primaryKey({ columns: [t.roundNo, t.hospitalNo, t.itemNo] }),
  check('demand_quantity_check', sql`${t.quantity} > 0`),
  // A manufacturer's preferred-supplier lines (few): found without walking the round's demand.
  index('demand_preferred_idx').on(t.roundNo, t.preferredNo, t.hospitalNo, t.itemNo).where(sql`${t.preferredNo} IS NOT NULL`),
]);

/**
 * Per item of a round: how many hospitals report demand and its total, kept
 * by every demand write (the round row is locked while demand changes), so
 * that reading the volume on offer (GET /demand, opening, OCDS) never scans
 * the round's 3,000,000 demand rows.
 */
export const demandTotals = pgTable('demand_totals', {
  roundNo: integer('round_no').notNull(),
  hospitals: integer('hospitals').notNull(),
  quantity: bigint('quantity', { mode: 'bigint' }).notNull(),
  itemNo: smallint('item_no').notNull(),
}, (t) => [primaryKey({ columns: [t.roundNo, t.itemNo] })]);

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

/**
 * Supply units fixed at award, by integer keys (they are joined with the
 * round's demand): `unit` is the province (44) or city (4401) number of
 * organizations.province / .city at the round's regionLevel.
 */
export const allocations = pgTable('allocations', {
  roundNo: integer('round_no').notNull(),
  unit: smallint('unit').notNull(),
  itemNo: smallint('item_no').notNull(),
  manufacturerNo: integer('manufacturer_no').notNull(),
  productNo: integer('product_no').notNull(),
}, (t) => [primaryKey({ columns: [t.roundNo, t.itemNo, t.unit] })]);

/** The winners of each item as fixed at award, by integer keys, with what agreements need of them. */
export const awardWinners = pgTable('award_winners', {
  roundNo: integer('round_no').notNull(),
  manufacturerNo: integer('manufacturer_no').notNull(),
  productNo: integer('product_no').notNull(),
  itemNo: smallint('item_no').notNull(),
  rank: smallint('rank').notNull(),
  agreedVolumeRatio: numeric('agreed_volume_ratio').notNull(),
  unitPrice: numeric('unit_price').notNull(),
  comparableUnitPrice: numeric('comparable_unit_price').notNull(),
}, (t) => [primaryKey({ columns: [t.roundNo, t.itemNo, t.manufacturerNo] })]);

/**
 * Per-hospital agreements are derived, not copied: demand, allocations and the
 * award's winners are frozen once a round is awarded, so a view gives every
 * hospital's supplier (its preferred manufacturer when that one won, else its
 * unit's winner), agreed quantity (half up) and prices. Award then writes only
 * allocations and totals (hundreds of rows) instead of one row per hospital and item.
 */
export const agreements = pgView('agreements', {
  roundNo: integer('round_no').notNull(),
  hospitalNo: integer('hospital_no').notNull(),
  itemNo: smallint('item_no').notNull(),
  manufacturerNo: integer('manufacturer_no').notNull(),
  productNo: integer('product_no').notNull(),
  demand: integer('demand').notNull(),
  agreedQuantity: integer('agreed_quantity').notNull(),
  unitPrice: numeric('unit_price').notNull(),
  comparableUnitPrice: numeric('comparable_unit_price').notNull(),
}).as(sql`
  SELECT d.round_no, d.hospital_no, d.item_no, w.manufacturer_no, w.product_no, d.quantity AS demand,
         round(d.quantity * w.agreed_volume_ratio)::int AS agreed_quantity, w.unit_price, w.comparable_unit_price
    FROM demand d
    JOIN rounds r ON r.no = d.round_no
    JOIN organizations h ON h.no = d.hospital_no
    JOIN allocations a ON a.round_no = d.round_no AND a.item_no = d.item_no
     AND a.unit = CASE WHEN r.rules->>'regionLevel' = 'city' THEN h.city ELSE h.province END
    LEFT JOIN award_winners pw ON pw.round_no = d.round_no AND pw.item_no = d.item_no AND pw.manufacturer_no = d.preferred_no
    JOIN award_winners w ON w.round_no = d.round_no AND w.item_no = d.item_no
     AND w.manufacturer_no = coalesce(pw.manufacturer_no, a.manufacturer_no)`);

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

export type ObjectionState = 'pending' | 'upheld' | 'dismissed';

/** 公示与异议: a bidder's objection against another manufacturer's bid on an item, decided once by the alliance. */
export const objections = pgTable('objections', {
  id: text('id').primaryKey(),
  roundId: text('round_id').notNull(),
  itemCode: text('item_code').notNull(),
  /** The manufacturer whose bid is objected to. */
  manufacturerId: text('manufacturer_id').notNull(),
  filedBy: text('filed_by').notNull(),
  reason: text('reason').notNull(),
  state: text('state').$type<ObjectionState>().notNull().default('pending'),
  decisionReason: text('decision_reason'),
  filedAt: tstz('filed_at').notNull(),
  decidedAt: tstz('decided_at'),
}, (t) => [index('objections_round_idx').on(t.roundId, t.id)]);

/** 答疑: a manufacturer's question about a round (or one of its items) and the alliance's answer. */
export const enquiries = pgTable('enquiries', {
  id: text('id').primaryKey(),
  roundId: text('round_id').notNull(),
  itemCode: text('item_code'),
  question: text('question').notNull(),
  askedBy: text('asked_by').notNull(),
  askedAt: tstz('asked_at').notNull(),
  answer: text('answer'),
  answeredAt: tstz('answered_at'),
}, (t) => [index('enquiries_round_idx').on(t.roundId, t.id)]);

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
}, (t) => [
  primaryKey({ columns: [t.chain, t.seq] }),
  // The first bid event of a chain (where the alliance's view of a sealed round ends) in one index probe.
  index('audit_events_bid_seq_idx').on(t.chain, t.seq).where(sql`type LIKE 'bid.%'`),
]);

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

export type OutboxState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

/**
 * The transactional outbox (ENGINEERING.md "Two modes"): a job is a row
 * written in the same transaction as the change that asks for it, so no
 * request is lost between the database and the queue. In production a relay
 * moves rows to BullMQ (job id = outbox id and version); in embedded mode the
 * same processors run from these rows in-process. `key` names a job that is
 * rescheduled rather than repeated (one per round and transition): a
 * reschedule or cancel bumps `version`, and a job of an older version does nothing.
 */
export const outbox = pgTable('outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  kind: text('kind').notNull(),
  key: text('key'),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
  runAt: tstz('run_at').notNull(),
  version: integer('version').notNull().default(1),
  /** The version BullMQ holds (production); null until relayed. */
  relayedVersion: integer('relayed_version'),
  state: text('state').$type<OutboxState>().notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  result: jsonb('result'),
  createdAt: tstz('created_at').notNull(),
  finishedAt: tstz('finished_at'),
}, (t) => [
  uniqueIndex('outbox_key').on(t.key),
  index('outbox_due_idx').on(t.runAt).where(sql`${t.state} = 'pending'`),
  index('outbox_unrelayed_idx').on(t.id).where(sql`${t.relayedVersion} IS DISTINCT FROM ${t.version}`),
]);

export type ReportStatus = 'queued' | 'running' | 'done' | 'failed';

/** Round reports (API.md "Reports, export, audit"): the request, its progress and which generation of chunks is its file. */
export const reports = pgTable('reports', {
  id: text('id').primaryKey(),
  roundId: text('round_id').notNull().references(() => rounds.id),
  /** The organization that asked; null for the operator. */
  requesterId: text('requester_id').references(() => organizations.id),
  kind: text('kind').notNull(),
  format: text('format').notNull(),
  asOf: text('as_of'),
  status: text('status').$type<ReportStatus>().notNull().default('queued'),
  progress: smallint('progress').notNull().default(0),
  error: text('error'),
  /** The generation of report_chunks that is the file (set when done). */
  generation: text('generation'),
  size: bigint('size', { mode: 'number' }),
  createdAt: tstz('created_at').notNull(),
  startedAt: tstz('started_at'),
  finishedAt: tstz('finished_at'),
}, (t) => [
  index('reports_round_idx').on(t.roundId, t.createdAt.desc(), t.id.desc()),
  index('reports_requester_idx').on(t.requesterId, t.createdAt.desc(), t.id.desc()),
]);

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/** A report file in pieces (streamed in and out), per generation: each run of the job writes its own. */
export const reportChunks = pgTable('report_chunks', {
  reportId: text('report_id').notNull().references(() => reports.id, { onDelete: 'cascade' }),
  generation: text('generation').notNull(),
  seq: integer('seq').notNull(),
  data: bytea('data').notNull(),
}, (t) => [primaryKey({ name: 'report_chunks_pk', columns: [t.reportId, t.generation, t.seq] })]);

/*
 * Monitoring (migrations/0004_monitoring.sql): integer keys only; `period` is a month number,
 * year × 12 + month − 1. The rollups are kept by usage uploads; see src/usage/service.ts.
 */
export const usage = pgTable('usage', {
  roundNo: integer('round_no').notNull(),
  hospitalNo: integer('hospital_no').notNull(),
  /** 0: bought without a product of the platform. */
  productNo: integer('product_no').notNull(),
  ordered: integer('ordered').notNull(),
  received: integer('received').notNull(),
  itemNo: smallint('item_no').notNull(),
  period: smallint('period').notNull(),
  amount: numeric('amount').notNull(),
}, (t) => [primaryKey({ name: 'usage_pk', columns: [t.roundNo, t.hospitalNo, t.itemNo, t.period, t.productNo] })]);

export const deliveries = pgTable('deliveries', {
  roundNo: integer('round_no').notNull(),
  hospitalNo: integer('hospital_no').notNull(),
  shipped: integer('shipped').notNull(),
  itemNo: smallint('item_no').notNull(),
  period: smallint('period').notNull(),
}, (t) => [primaryKey({ name: 'deliveries_pk', columns: [t.roundNo, t.hospitalNo, t.itemNo, t.period] })]);

export const monitoringRounds = pgTable('monitoring_rounds', {
  roundNo: integer('round_no').primaryKey(),
});

export const monitoringAgreements = pgTable('monitoring_agreements', {
  roundNo: integer('round_no').notNull(),
  hospitalNo: integer('hospital_no').notNull(),
  manufacturerNo: integer('manufacturer_no').notNull(),
  productNo: integer('product_no').notNull(),
  agreed: integer('agreed').notNull(),
  itemNo: smallint('item_no').notNull(),
  province: smallint('province').notNull(),
}, (t) => [
  primaryKey({ name: 'monitoring_agreements_pk', columns: [t.roundNo, t.hospitalNo, t.itemNo] }),
  index('monitoring_agreements_manufacturer_idx').on(t.roundNo, t.manufacturerNo, t.hospitalNo, t.itemNo),
]);

export const monitoringAgreed = pgTable('monitoring_agreed', {
  roundNo: integer('round_no').notNull(),
  manufacturerNo: integer('manufacturer_no').notNull(),
  agreements: integer('agreements').notNull(),
  agreed: bigint('agreed', { mode: 'bigint' }).notNull(),
  itemNo: smallint('item_no').notNull(),
  province: smallint('province').notNull(),
}, (t) => [primaryKey({ name: 'monitoring_agreed_pk', columns: [t.roundNo, t.itemNo, t.province, t.manufacturerNo] })]);

export const monitoringAgreedHospitals = pgTable('monitoring_agreed_hospitals', {
  roundNo: integer('round_no').notNull(),
  hospitalNo: integer('hospital_no').notNull(),
  agreements: integer('agreements').notNull(),
  agreed: bigint('agreed', { mode: 'bigint' }).notNull(),
  // All months' usage of the hospital's agreements (migration 0008), kept by every usage upload.
  used: bigint('used', { mode: 'bigint' }).notNull().default(0n),
  nonWinning: bigint('non_winning', { mode: 'bigint' }).notNull().default(0n),
  ordered: bigint('ordered', { mode: 'bigint' }).notNull().default(0n),
  amount: numeric('amount').notNull().default('0'),
  baselineAmount: numeric('baseline_amount').notNull().default('0'),
}, (t) => [primaryKey({ name: 'monitoring_agreed_hospitals_pk', columns: [t.roundNo, t.hospitalNo] })]);

export const monitoringGroups = pgTable('monitoring_groups', {
  roundNo: integer('round_no').notNull(),
  manufacturerNo: integer('manufacturer_no').notNull(),
  used: bigint('used', { mode: 'bigint' }).notNull(),
  nonWinning: bigint('non_winning', { mode: 'bigint' }).notNull(),
  ordered: bigint('ordered', { mode: 'bigint' }).notNull(),
  period: smallint('period').notNull(),
  itemNo: smallint('item_no').notNull(),
  province: smallint('province').notNull(),
  amount: numeric('amount').notNull(),
}, (t) => [primaryKey({ name: 'monitoring_groups_pk', columns: [t.roundNo, t.period, t.itemNo, t.province, t.manufacturerNo] })]);

export const monitoringHospitals = pgTable('monitoring_hospitals', {
  roundNo: integer('round_no').notNull(),
  hospitalNo: integer('hospital_no').notNull(),
  used: bigint('used', { mode: 'bigint' }).notNull(),
  nonWinning: bigint('non_winning', { mode: 'bigint' }).notNull(),
  ordered: bigint('ordered', { mode: 'bigint' }).notNull(),
  period: smallint('period').notNull(),
  amount: numeric('amount').notNull(),
  baselineAmount: numeric('baseline_amount').notNull(),
}, (t) => [primaryKey({ name: 'monitoring_hospitals_pk', columns: [t.roundNo, t.hospitalNo, t.period] })]);

import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import type { Queryable } from '../db/client.js';
import { appendEvent } from '../audit/service.js';
import { newRoundKeys } from '../bids/crypto.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { conflict, forbidden, invalidInput, invalidState, notFound } from '../http/problem.js';
import { newId } from '../ids.js';
import { D, fmt4 } from '../rules/decimal.js';
import { resolveRules, type Rules } from '../rules/presets.js';
import { regionCovers } from '../rules/regions.js';
import { normalizeUnit } from '../rules/strength.js';
import type { Item, ItemInput, Round, RoundInput, RoundPatch } from './schemas.js';

export type RoundState = 'draft' | 'demand' | 'bidding' | 'opened' | 'awarded' | 'closed' | 'cancelled';

export interface RoundRow {
  id: string; alliance_id: string; name: string; state: RoundState; rules: Rules; region_codes: string[];
  bid_opens_at: Date; bid_closes_at: Date; contract_months: number; contract_start: string | null;
  bid_public_key: string; wrapped_round_key: string; created_at: Date; updated_at: Date; opened_at: Date | null; awarded_at: Date | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export const toRound = (r: RoundRow): Round => ({
  id: r.id, allianceId: r.alliance_id, name: r.name, state: r.state, rules: r.rules as any, regionCodes: r.region_codes,
  bidOpensAt: iso(r.bid_opens_at)!, bidClosesAt: iso(r.bid_closes_at)!, contractMonths: r.contract_months,
  contractStart: r.contract_start, createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)!,
  openedAt: iso(r.opened_at), awardedAt: iso(r.awarded_at),
});

/** Participants (API.md): the operator, its alliance, hospitals under its regions, manufacturers once published. */
export function canSee(p: Principal, r: Pick<RoundRow, 'alliance_id' | 'state' | 'region_codes'>): boolean {
  switch (p.role) {
    case 'operator': return true;
    case 'alliance': return r.alliance_id === p.orgId;
    case 'hospital': return r.state !== 'draft' && !!p.regionCode && r.region_codes.some((rc) => regionCovers(rc, p.regionCode!));
    case 'manufacturer': return r.state !== 'draft';
  }
}

export async function loadRound(db: Queryable, id: string, lock = false): Promise<RoundRow | null> {
  const rows = await db.query<RoundRow>(`SELECT * FROM rounds WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ?? null;
}

/** The round if the caller may see it, else 404. */
export async function visibleRound(db: Queryable, p: Principal, id: string, lock = false): Promise<RoundRow> {
  const r = await loadRound(db, id, lock);
  if (!r || !canSee(p, r)) throw notFound('Round');
  return r;
}

/** Alliance actions belong to the round's own alliance (others cannot see it: 404 first). */
export function requireOwnAlliance(p: Principal, r: RoundRow): void {
  if (p.role !== 'alliance' || p.orgId !== r.alliance_id) throw forbidden("Only the round's alliance may do this");
}

export function requireState(r: RoundRow, ...states: RoundState[]): void {
  if (!states.includes(r.state)) throw invalidState(`The round is ${r.state}; this needs ${states.join(' or ')}`);
}

function checkWindow(opens: Date, closes: Date) {
  if (!(closes > opens)) throw invalidInput('bidClosesAt must be after bidOpensAt', [{ path: '/bidClosesAt', message: 'must be after bidOpensAt' }]);
}

function resolve(rules: unknown): Rules {
  const res = resolveRules(rules);
  if (!res.ok) throw invalidInput('The rules are invalid', res.errors.map((e) => ({ path: e.path.startsWith('/rules') ? e.path : `/rules${e.path.startsWith('/') ? '' : '/'}${e.path}`, message: e.message })));
  return res.rules;
}

export async function createRound(ctx: AppContext, p: Principal, input: RoundInput): Promise<Round> {
  let allianceId: string;
  if (p.role === 'operator') {
    if (!input.allianceId) throw invalidInput('The operator names the alliance', [{ path: '/allianceId', message: 'required for the operator' }]);
    allianceId = input.allianceId;
  } else {
    if (input.allianceId && input.allianceId !== p.orgId) throw invalidInput('An alliance creates rounds for itself', [{ path: '/allianceId', message: 'must be your own organization' }]);
    allianceId = p.orgId!;
  }
  const rules = resolve(input.rules);
  const opens = new Date(input.bidOpensAt), closes = new Date(input.bidClosesAt);
  checkWindow(opens, closes);
  return ctx.db.transaction(async (tx) => {
    const a = await tx.query<{ region_codes: string[] }>(`SELECT region_codes FROM organizations WHERE id = $1 AND kind = 'alliance'`, [allianceId]);
    if (!a.length) throw invalidInput('No such alliance', [{ path: '/allianceId', message: 'not an alliance' }]);
    const id = newId('rnd');
    const keys = newRoundKeys(ctx.config.bidKek, id);
    const now = ctx.clock.now();
    const rows = await tx.query<RoundRow>(
      `INSERT INTO rounds (id, alliance_id, name, state, rules, region_codes, bid_opens_at, bid_closes_at, contract_months,
         contract_start, bid_public_key, wrapped_round_key, created_at, updated_at)
       VALUES ($1, $2, $3, 'draft', $4::text::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING *`,
      [id, allianceId, input.name, JSON.stringify(rules), a[0].region_codes, opens, closes, input.contractMonths,
        input.contractStart ?? null, keys.publicKey, keys.wrappedPrivateKey, now]);
    await appendEvent(tx, id, { type: 'round.created', actor: actorOf(p), at: now, data: { name: input.name, rules } });
    return toRound(rows[0]);
  });
}

export async function patchRound(ctx: AppContext, p: Principal, id: string, patch: RoundPatch): Promise<Round> {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, id, true);
    requireOwnAlliance(p, r);
    requireState(r, 'draft');
    const rules = patch.rules !== undefined ? resolve(patch.rules) : r.rules;
    const opens = patch.bidOpensAt ? new Date(patch.bidOpensAt) : new Date(r.bid_opens_at);
    const closes = patch.bidClosesAt ? new Date(patch.bidClosesAt) : new Date(r.bid_closes_at);
    checkWindow(opens, closes);
    const now = ctx.clock.now();
    const rows = await tx.query<RoundRow>(
      `UPDATE rounds SET name = $2, rules = $3::text::jsonb, bid_opens_at = $4, bid_closes_at = $5, contract_months = $6,
         contract_start = $7, updated_at = $8 WHERE id = $1 RETURNING *`,
      [id, patch.name ?? r.name, JSON.stringify(rules), opens, closes, patch.contractMonths ?? r.contract_months,
        patch.contractStart !== undefined ? patch.contractStart : r.contract_start, now]);
    await appendEvent(tx, id, { type: 'round.updated', actor: actorOf(p), at: now, data: { fields: Object.keys(patch).sort() } });
    return toRound(rows[0]);
  });
}

export async function listRounds(ctx: AppContext, p: Principal, q: { limit?: number; cursor?: string; state?: string }) {
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 1);
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (cond: string, v: unknown) => { params.push(v); where.push(cond.replaceAll('?', `$${params.length}`)); };
  if (p.role === 'alliance') add('alliance_id = ?', p.orgId);
  if (p.role === 'manufacturer') where.push(`state <> 'draft'`);
  if (p.role === 'hospital') {
    where.push(`state <> 'draft'`);
    add(`EXISTS (SELECT 1 FROM unnest(region_codes) rc WHERE starts_with(?, regexp_replace(rc, '(00)+$', '')))`, p.regionCode);
  }
  if (q.state) add('state = ?', q.state);
  if (after) add('id > ?', after[0]);
  params.push(limit + 1);
  const rows = await ctx.db.query<RoundRow>(
    `SELECT * FROM rounds ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id LIMIT $${params.length}`, params);
  return toPage(rows, limit, (r) => [r.id], toRound);
}

/** The lifecycle of DOMAIN.md: which states each action leaves from, and where it leads. */
export const TRANSITIONS = {
  publish: { from: ['draft'], to: 'demand' },
  'start-bidding': { from: ['demand'], to: 'bidding' },
  open: { from: ['bidding'], to: 'opened' },
  award: { from: ['opened'], to: 'awarded' },
  close: { from: ['awarded'], to: 'closed' },
  cancel: { from: ['draft', 'demand', 'bidding', 'opened'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly RoundState[]; to: RoundState }>;
export type Action = keyof typeof TRANSITIONS;

/**
 * Moves a locked round along one transition inside the caller's transaction,
 * with its audit event. Opening and award do their own work around this.
 */
export async function applyTransition(ctx: AppContext, tx: Queryable, p: Principal, r: RoundRow, action: Action, data: unknown = {}): Promise<RoundRow> {
  const t = TRANSITIONS[action];
  requireState(r, ...t.from);
  const now = ctx.clock.now();
  if (action === 'start-bidding' && now >= new Date(r.bid_closes_at)) {
    throw conflict('bidding-closed', 'Bidding closed', 'The bid window has already closed; move bidClosesAt (in draft) or cancel the round');
  }
  const extra = action === 'open' ? ', opened_at = $3' : action === 'award' ? ', awarded_at = $3' : '';
  const rows = await tx.query<RoundRow>(`UPDATE rounds SET state = $2, updated_at = $3${extra} WHERE id = $1 RETURNING *`, [r.id, t.to, now]);
  await appendEvent(tx, r.id, { type: `round.${t.to}`, actor: actorOf(p), at: now, data: { from: r.state, to: t.to, ...(data as object) } });
  return rows[0];
}

/** Publish, start-bidding, close and cancel: state changes with nothing else to do. */
export async function transition(ctx: AppContext, p: Principal, id: string, action: Action): Promise<Round> {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, id, true);
    requireOwnAlliance(p, r);
    return toRound(await applyTransition(ctx, tx, p, r, action));
  });
}

/* ---------- items ---------- */

const ITEM_COLUMNS = `code, generic_name, dosage_form, category, unit, reference_strength_value::text AS reference_strength_value,
  reference_strength_unit, strength_price_ratio::text AS strength_price_ratio, max_unit_price::text AS max_unit_price,
  baseline_unit_price::text AS baseline_unit_price, agreed_volume_ratio::text AS agreed_volume_ratio, eligible_quality_tiers`;

export interface ItemRow {
  code: string; generic_name: string; dosage_form: string; category: 'drug' | 'consumable'; unit: string;
  reference_strength_value: string | null; reference_strength_unit: string | null; strength_price_ratio: string;
  max_unit_price: string; baseline_unit_price: string; agreed_volume_ratio: string | null; eligible_quality_tiers: string[] | null;
}

export const toItem = (r: ItemRow): Item => ({
  code: r.code, genericName: r.generic_name, dosageForm: r.dosage_form, category: r.category, unit: r.unit,
  referenceStrength: r.reference_strength_value === null ? null : { value: r.reference_strength_value, unit: r.reference_strength_unit! },
  strengthPriceRatio: fmt4(new D(r.strength_price_ratio))!, maxUnitPrice: fmt4(new D(r.max_unit_price))!,
  baselineUnitPrice: fmt4(new D(r.baseline_unit_price))!,
  agreedVolumeRatio: r.agreed_volume_ratio === null ? null : fmt4(new D(r.agreed_volume_ratio)),
  eligibleQualityTiers: r.eligible_quality_tiers,
});

export async function loadItems(db: Queryable, roundId: string): Promise<ItemRow[]> {
  return db.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items WHERE round_id = $1 ORDER BY code`, [roundId]);
}

export async function loadItem(db: Queryable, roundId: string, code: string): Promise<ItemRow | null> {
  const rows = await db.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM items WHERE round_id = $1 AND code = $2`, [roundId, code]);
  return rows[0] ?? null;
}

function itemProblems(i: ItemInput): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const positive = (path: string, v: string | null | undefined) => { if (v != null && new D(v).lte(0)) out.push({ path, message: 'must be above 0' }); };
  if (i.category === 'drug') {
    if (!i.referenceStrength) out.push({ path: '/referenceStrength', message: 'a drug item has a reference strength' });
    else {
      if (!normalizeUnit(i.referenceStrength.unit)) out.push({ path: '/referenceStrength/unit', message: 'unit must be one of g mg µg mcg ug l ml IU U' });
      positive('/referenceStrength/value', i.referenceStrength.value);
    }
  } else if (i.referenceStrength) out.push({ path: '/referenceStrength', message: 'consumables have no strength' });
  positive('/strengthPriceRatio', i.strengthPriceRatio);
  positive('/maxUnitPrice', i.maxUnitPrice);
  positive('/baselineUnitPrice', i.baselineUnitPrice);
  if (i.agreedVolumeRatio != null && (new D(i.agreedVolumeRatio).lte(0) || new D(i.agreedVolumeRatio).gt(1))) {
    out.push({ path: '/agreedVolumeRatio', message: 'must be in (0, 1]' });
  }
  return out;
}

export async function addItem(ctx: AppContext, p: Principal, roundId: string, input: ItemInput): Promise<Item> {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId, true);
    requireOwnAlliance(p, r);
    requireState(r, 'draft', 'demand');
    const problems = itemProblems(input);
    if (problems.length) throw invalidInput('The item is invalid', problems);
    if (await loadItem(tx, roundId, input.code)) {
      throw invalidInput(`Item code ${input.code} is already used in this round`, [{ path: '/code', message: 'already used in this round' }]);
    }
    const unit = input.referenceStrength ? normalizeUnit(input.referenceStrength.unit)!.canonical : null;
    const rows = await tx.query<ItemRow>(
      `INSERT INTO items (round_id, code, generic_name, dosage_form, category, unit, reference_strength_value,
         reference_strength_unit, strength_price_ratio, max_unit_price, baseline_unit_price, agreed_volume_ratio, eligible_quality_tiers, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${ITEM_COLUMNS}`,
      [roundId, input.code, input.genericName.trim(), input.dosageForm.trim(), input.category, input.unit,
        input.referenceStrength?.value ?? null, unit, input.strengthPriceRatio ?? '1.7', input.maxUnitPrice,
        input.baselineUnitPrice, input.agreedVolumeRatio ?? null, input.eligibleQualityTiers ?? null, ctx.clock.now()]);
    const item = toItem(rows[0]);
    await appendEvent(tx, roundId, { type: 'item.added', actor: actorOf(p), at: ctx.clock.now(), data: item });
    return item;
  });
}

export async function listItems(ctx: AppContext, p: Principal, roundId: string, q: { limit?: number; cursor?: string }) {
  await visibleRound(ctx.db, p, roundId);
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 1);
  const rows = await ctx.db.query<ItemRow>(
    `SELECT ${ITEM_COLUMNS} FROM items WHERE round_id = $1 AND code > $2 ORDER BY code LIMIT $3`,
    [roundId, after ? after[0] : '', limit + 1]);
  return toPage(rows, limit, (r) => [r.code], toItem);
}

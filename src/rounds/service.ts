import { and, asc, eq, gt, ne, sql, type SQL } from 'drizzle-orm';
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import type { Queryable } from '../db/client.js';
import { items, organizations, rounds } from '../db/schema.js';
import { appendEvent } from '../audit/service.js';
import { newRoundKeys } from '../bids/custody.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { forbidden, invalidInput, notFound } from '../http/problem.js';
import { newId } from '../ids.js';
import { D } from '../rules/decimal.js';
import { resolveRules, type Rules } from '../rules/presets.js';
import { regionCovers } from '../rules/regions.js';
import { normalizeUnit } from '../rules/strength.js';
import { guardAddItem, guardEditRound, guardStartBidding, guardTransition, type Action, type Phase } from './lifecycle.js';
import { toItem, toRound, type ItemRow, type RoundRow } from './mapper.js';
import { scheduleTransitions, unscheduleTransitions } from './schedule.js';
import type { Item, ItemInput, Round, RoundInput, RoundPatch, RoundQuery } from './schemas.js';

/** The lifecycle facts of a stored round. */
export const phaseOf = (r: Pick<RoundRow, 'state' | 'openedAt'>): Phase => ({ state: r.state, openedAt: r.openedAt });

/** Participants (API.md): the operator, its alliance, hospitals under its regions, manufacturers once published. */
export function canSee(p: Principal, r: Pick<RoundRow, 'allianceId' | 'state' | 'regionCodes'>): boolean {
  switch (p.role) {
    case 'operator': return true;
    case 'alliance': return r.allianceId === p.orgId;
    case 'hospital': return r.state !== 'draft' && !!p.regionCode && r.regionCodes.some((rc) => regionCovers(rc, p.regionCode!));
    case 'manufacturer': return r.state !== 'draft';
  }
}

export async function loadRound(db: Queryable, id: string, lock = false): Promise<RoundRow | null> {
  const q = db.orm.select().from(rounds).where(eq(rounds.id, id));
  const [row] = lock ? await q.for('update') : await q;
  return row ?? null;
}

/** The round if the caller may see it, else 404. */
export async function visibleRound(db: Queryable, p: Principal, id: string, lock = false): Promise<RoundRow> {
  const r = await loadRound(db, id, lock);
  if (!r || !canSee(p, r)) throw notFound('Round');
  return r;
}

/** Alliance actions belong to the round's own alliance (others cannot see it: 404 first). */
export function requireOwnAlliance(p: Principal, r: Pick<RoundRow, 'allianceId'>): void {
  if (p.role !== 'alliance' || p.orgId !== r.allianceId) throw forbidden("Only the round's alliance may do this");
}

/** A bid window whose close comes after its opening (422 otherwise). */
function validWindow(opens: Date, closes: Date) {
  if (!(closes > opens)) throw invalidInput('bidClosesAt must be after bidOpensAt', [{ path: '/bidClosesAt', message: 'must be after bidOpensAt' }]);
}

/** A preset plus overrides, resolved (422 with the paths of what is wrong). */
export function resolve(rules: unknown): Rules {
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
  validWindow(opens, closes);
  const created = await ctx.db.transaction(async (tx) => {
    const [a] = await tx.orm.select({ regionCodes: organizations.regionCodes }).from(organizations)
      .where(and(eq(organizations.id, allianceId), eq(organizations.kind, 'alliance')));
    if (!a) throw invalidInput('No such alliance', [{ path: '/allianceId', message: 'not an alliance' }]);
    const id = newId('rnd');
    const keys = newRoundKeys(ctx.config.openingKey, id);
    const now = ctx.clock.now();
    const [row] = await tx.orm.insert(rounds).values({
      id, allianceId, name: input.name, state: 'draft', rules, regionCodes: a.regionCodes ?? [], bidOpensAt: opens, bidClosesAt: closes,
      contractMonths: input.contractMonths, contractStart: input.contractStart ?? null,
      autoStartBidding: input.autoStartBidding ?? false, autoOpen: input.autoOpen ?? false,
      bidPublicKey: keys.publicKey, wrappedRoundKey: keys.sealedPrivateKey, roundKeySealedTo: keys.sealedTo, createdAt: now, updatedAt: now,
    }).returning();
    await appendEvent(tx, id, {
      type: 'round.created', actor: actorOf(p), at: now,
      data: { name: input.name, rules, autoStartBidding: row.autoStartBidding, autoOpen: row.autoOpen },
    });
    await scheduleTransitions(tx, row, now);
    return toRound(row);
  });
  ctx.jobs.kick();
  return created;
}

export async function patchRound(ctx: AppContext, p: Principal, id: string, patch: RoundPatch): Promise<Round> {
  const patched = await ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, id, true);
    requireOwnAlliance(p, r);
    guardEditRound(r);
    const rules = patch.rules !== undefined ? resolve(patch.rules) : r.rules;
    const opens = patch.bidOpensAt ? new Date(patch.bidOpensAt) : r.bidOpensAt;
    const closes = patch.bidClosesAt ? new Date(patch.bidClosesAt) : r.bidClosesAt;
    validWindow(opens, closes);
    const now = ctx.clock.now();
    const [row] = await tx.orm.update(rounds).set({
      name: patch.name ?? r.name, rules, bidOpensAt: opens, bidClosesAt: closes, contractMonths: patch.contractMonths ?? r.contractMonths,
      contractStart: patch.contractStart !== undefined ? patch.contractStart : r.contractStart,
      autoStartBidding: patch.autoStartBidding ?? r.autoStartBidding, autoOpen: patch.autoOpen ?? r.autoOpen, updatedAt: now,
    }).where(eq(rounds.id, id)).returning();
    await appendEvent(tx, id, { type: 'round.updated', actor: actorOf(p), at: now, data: { fields: Object.keys(patch).sort() } });
    await scheduleTransitions(tx, row, now);
    return toRound(row);
  });
  ctx.jobs.kick();
  return patched;
}

export async function listRounds(ctx: AppContext, p: Principal, q: RoundQuery) {
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 1);
  const where: SQL[] = [];
  if (p.role === 'alliance') where.push(eq(rounds.allianceId, p.orgId!));
  if (p.role === 'manufacturer' || p.role === 'hospital') where.push(ne(rounds.state, 'draft'));
  if (p.role === 'hospital') {
    where.push(sql`EXISTS (SELECT 1 FROM unnest(${rounds.regionCodes}) rc WHERE starts_with(${p.regionCode}, regexp_replace(rc, '(00)+$', '')))`);
  }
  if (q.state) where.push(eq(rounds.state, q.state));
  if (after) where.push(gt(rounds.id, String(after[0])));
  const rows = await ctx.db.orm.select().from(rounds).where(and(...where)).orderBy(asc(rounds.id)).limit(limit + 1);
  return toPage(rows, limit, (r) => [r.id], toRound);
}

/**
 * Moves a locked round along one transition inside the caller's transaction,
 * with its audit event. Opening and award do their own work around this.
 */
export async function applyTransition(
  ctx: AppContext, tx: Queryable, actor: string, r: RoundRow, action: Action, data: Record<string, unknown> = {},
): Promise<RoundRow> {
  const to = guardTransition(r, action);
  const now = ctx.clock.now();
  if (action === 'start-bidding') guardStartBidding(r, now);
  // Opening starts the notice period of rules.noticeMinutes (DOMAIN.md "Notice period and objections").
  const noticeEndsAt = action === 'open' && r.rules.noticeMinutes > 0 ? new Date(now.getTime() + r.rules.noticeMinutes * 60_000) : null;
  const [row] = await tx.orm.update(rounds).set({
    state: to, updatedAt: now, ...(action === 'open' ? { openedAt: now, noticeEndsAt } : action === 'award' ? { awardedAt: now } : {}),
  }).where(eq(rounds.id, r.id)).returning();
  await appendEvent(tx, r.id, {
    type: `round.${to}`, actor, at: now, data: { from: r.state, to, ...data, ...(noticeEndsAt ? { noticeEndsAt: noticeEndsAt.toISOString() } : {}) },
  });
  if (action === 'cancel') await unscheduleTransitions(tx, r.id);
  // A round published after its bidOpensAt (its start-bidding job found it in draft) starts bidding at once.
  if (action === 'publish') await scheduleTransitions(tx, row, now);
  return row;
}

/** Publish, start-bidding, close and cancel: state changes with nothing else to do. */
export async function transition(ctx: AppContext, p: Principal, id: string, action: Action): Promise<Round> {
  const done = await ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, id, true);
    requireOwnAlliance(p, r);
    return toRound(await applyTransition(ctx, tx, actorOf(p), r, action));
  });
  // A cancel withdrew the round's scheduled jobs (the relay removes their BullMQ copies); a publish may have renewed one.
  if (action === 'cancel' || action === 'publish') ctx.jobs.kick();
  return done;
}

/* ---------- items ---------- */

export async function loadItems(db: Queryable, roundId: string): Promise<ItemRow[]> {
  return db.orm.select().from(items).where(eq(items.roundId, roundId)).orderBy(asc(items.code));
}

export async function loadItem(db: Queryable, roundId: string, code: string): Promise<ItemRow | null> {
  const [row] = await db.orm.select().from(items).where(and(eq(items.roundId, roundId), eq(items.code, code)));
  return row ?? null;
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

/** Items a round may hold: its item numbers are smallints (the demand key). */
export const MAX_ITEMS = 5000;

export async function addItem(ctx: AppContext, p: Principal, roundId: string, input: ItemInput): Promise<Item> {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId, true);
    requireOwnAlliance(p, r);
    guardAddItem(r);
    const problems = itemProblems(input);
    if (problems.length) throw invalidInput('The item is invalid', problems);
    if (await loadItem(tx, roundId, input.code)) {
      throw invalidInput(`Item code ${input.code} is already used in this round`, [{ path: '/code', message: 'already used in this round' }]);
    }
    // The round row is locked: numbering items max + 1 cannot race.
    const [{ n }] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE round_id = $1', [roundId]);
    if (n >= MAX_ITEMS) throw invalidInput(`A round holds at most ${MAX_ITEMS} items`, [{ path: '/code', message: 'too many items' }]);
    const now = ctx.clock.now();
    const [row] = await tx.orm.insert(items).values({
      roundId, code: input.code, no: n + 1, genericName: input.genericName.trim(), dosageForm: input.dosageForm.trim(), category: input.category,
      unit: input.unit, referenceStrengthValue: input.referenceStrength?.value ?? null,
      referenceStrengthUnit: input.referenceStrength ? normalizeUnit(input.referenceStrength.unit)!.canonical : null,
      strengthPriceRatio: input.strengthPriceRatio ?? '1.7', maxUnitPrice: input.maxUnitPrice, baselineUnitPrice: input.baselineUnitPrice,
      agreedVolumeRatio: input.agreedVolumeRatio ?? null, eligibleQualityTiers: input.eligibleQualityTiers ?? null, createdAt: now,
    }).returning();
    const item = toItem(row);
    await appendEvent(tx, roundId, { type: 'item.added', actor: actorOf(p), at: now, data: item });
    return item;
  });
}

export async function listItems(ctx: AppContext, p: Principal, roundId: string, q: { limit?: number; cursor?: string }) {
  await visibleRound(ctx.db, p, roundId);
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 1);
  const rows = await ctx.db.orm.select().from(items)
    .where(and(eq(items.roundId, roundId), gt(items.code, after ? String(after[0]) : '')))
    .orderBy(asc(items.code)).limit(limit + 1);
  return toPage(rows, limit, (r) => [r.code], toItem);
}

/**
 * 公示与异议 (DOMAIN.md "Notice period and objections"): during the notice
 * period a bidder objects to another manufacturer's bid on the same item; the
 * alliance decides once. An upheld objection makes the bid ineligible
 * (`objection_upheld`) and the item is evaluated again with the round's rules
 * (the same pure evaluation and storage as opening); region preferences of
 * manufacturers that no longer win are dropped.
 */
import { and, asc, eq, gt } from 'drizzle-orm';
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import type { Queryable } from '../db/client.js';
import { objections } from '../db/schema.js';
import { appendEvent } from '../audit/service.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { forbidden, invalidInput, notFound } from '../http/problem.js';
import { newId } from '../ids.js';
import { openedBids } from '../results/opened-bids.js';
import { evaluateRound, storeResults } from '../results/opening.js';
import { guardAward, guardObjection, guardObjectionDecision } from '../rounds/lifecycle.js';
import type { RoundRow } from '../rounds/mapper.js';
import { loadItem, phaseOf, visibleRound } from '../rounds/service.js';
import type { Objection, ObjectionDecisionInput, ObjectionInput } from './schemas.js';

type ObjectionRow = typeof objections.$inferSelect;

/** Who filed is known to the alliance, the operator and the objector only. */
const seesFiler = (p: Principal, o: ObjectionRow) => p.role === 'operator' || p.role === 'alliance' || o.filedBy === p.orgId;

const toObjection = (p: Principal) => (o: ObjectionRow): Objection => ({
  id: o.id, itemCode: o.itemCode, manufacturerId: o.manufacturerId, reason: o.reason, state: o.state, decisionReason: o.decisionReason,
  filedAt: o.filedAt.toISOString(), decidedAt: o.decidedAt ? o.decidedAt.toISOString() : null, filedBy: seesFiler(p, o) ? o.filedBy : null,
});

async function hasBid(tx: Queryable, roundId: string, itemCode: string, manufacturerId: string): Promise<boolean> {
  const rows = await tx.query<{ one: number }>(
    `SELECT 1 AS one FROM bid_results WHERE round_id = $1 AND item_code = $2 AND manufacturer_id = $3
     UNION ALL SELECT 1 FROM bids WHERE round_id = $1 AND item_code = $2 AND manufacturer_id = $3 AND NOT withdrawn LIMIT 1`,
    [roundId, itemCode, manufacturerId]);
  return rows.length > 0;
}

export async function fileObjection(ctx: AppContext, p: Principal, roundId: string, input: ObjectionInput): Promise<Objection> {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId, true);
    if (!(await hasBid(tx, roundId, input.itemCode, p.orgId!))) throw forbidden('Only a manufacturer that bid on the item files an objection about it');
    const now = ctx.clock.now();
    guardObjection(r, now);
    if (input.manufacturerId === p.orgId) {
      throw invalidInput('An objection is against another manufacturer\'s bid', [{ path: '/manufacturerId', message: 'is your own bid' }]);
    }
    const opened = await tx.query<{ one: number }>('SELECT 1 AS one FROM bid_results WHERE round_id = $1 AND item_code = $2 AND manufacturer_id = $3',
      [roundId, input.itemCode, input.manufacturerId]);
    if (!opened.length) throw invalidInput('That manufacturer has no bid on this item', [{ path: '/manufacturerId', message: 'has no bid on this item' }]);
    const [row] = await tx.orm.insert(objections).values({
      id: newId('obj'), roundId, itemCode: input.itemCode, manufacturerId: input.manufacturerId, filedBy: p.orgId!, reason: input.reason, filedAt: now,
    }).returning();
    await appendEvent(tx, roundId, {
      type: 'objection.filed', actor: actorOf(p), at: now,
      data: { objectionId: row.id, itemCode: row.itemCode, manufacturerId: row.manufacturerId, filedBy: row.filedBy, reason: row.reason },
    });
    return toObjection(p)(row);
  });
}

export async function listObjections(ctx: AppContext, p: Principal, roundId: string, q: { limit?: number; cursor?: string }) {
  await visibleRound(ctx.db, p, roundId);
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 1);
  const rows = await ctx.db.orm.select().from(objections)
    .where(and(eq(objections.roundId, roundId), gt(objections.id, after ? String(after[0]) : '')))
    .orderBy(asc(objections.id)).limit(limit + 1);
  return toPage(rows, limit, (o) => [o.id], toObjection(p));
}

/** The item evaluated again with the round's rules over its opened bids (an upheld objection now among them). */
async function reevaluateItem(tx: Queryable, r: RoundRow, itemCode: string) {
  const item = (await loadItem(tx, r.id, itemCode))!;
  const bids = await openedBids(tx, r, itemCode);
  const [result] = evaluateRound(r, [item], bids);
  await tx.query('DELETE FROM bid_results WHERE round_id = $1 AND item_code = $2', [r.id, itemCode]);
  await tx.query('DELETE FROM item_results WHERE round_id = $1 AND item_code = $2', [r.id, itemCode]);
  await storeResults(tx, r.id, r, [result], bids);
  const dropped = await tx.query<{ manufacturer_id: string }>(
    `DELETE FROM region_preferences rp WHERE rp.round_id = $1 AND rp.item_code = $2 AND NOT EXISTS (
       SELECT 1 FROM bid_results b WHERE b.round_id = rp.round_id AND b.item_code = rp.item_code AND b.manufacturer_id = rp.manufacturer_id AND b.winner)
     RETURNING rp.manufacturer_id`, [r.id, itemCode]);
  return {
    outcome: result.outcome,
    winners: result.bids.filter((b) => b.winner).sort((a, b) => a.rank! - b.rank!).map((b) => b.manufacturerId),
    droppedPreferences: dropped.map((d) => d.manufacturer_id).sort(),
  };
}

export async function decideObjection(ctx: AppContext, p: Principal, roundId: string, objectionId: string, input: ObjectionDecisionInput): Promise<Objection> {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId, true);
    const [o] = await tx.orm.select().from(objections).where(and(eq(objections.id, objectionId), eq(objections.roundId, roundId))).for('update');
    if (!o) throw notFound('Objection');
    guardObjectionDecision(phaseOf(r), o);
    const now = ctx.clock.now();
    const [row] = await tx.orm.update(objections).set({ state: input.decision, decisionReason: input.reason, decidedAt: now })
      .where(eq(objections.id, o.id)).returning();
    await appendEvent(tx, roundId, {
      type: 'objection.decided', actor: actorOf(p), at: now,
      data: { objectionId: o.id, itemCode: o.itemCode, manufacturerId: o.manufacturerId, decision: input.decision, reason: input.reason },
    });
    if (input.decision === 'upheld') {
      const again = await reevaluateItem(tx, r, o.itemCode);
      await appendEvent(tx, roundId, { type: 'item.reevaluated', actor: actorOf(p), at: now, data: { itemCode: o.itemCode, objectionId: o.id, ...again } });
    }
    return toObjection(p)(row);
  });
}

/** The award's notice check (inside award's transaction, the round locked): no award during the period or with an objection undecided. */
export async function noticeCheck(ctx: AppContext, tx: Queryable, r: RoundRow): Promise<void> {
  const [{ n }] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM objections WHERE round_id = $1 AND state = 'pending'`, [r.id]);
  guardAward(r, ctx.clock.now(), n);
}

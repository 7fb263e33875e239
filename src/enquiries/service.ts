/**
 * 答疑 (DOMAIN.md "Enquiries"): manufacturers ask about a round or one of its
 * items while it is in demand or bidding, before bidClosesAt; the alliance
 * answers and may correct its answer until then. Every participant reads
 * every question and answer; who asked only the alliance, the operator and
 * the asker learn.
 */
import { and, asc, eq, gt } from 'drizzle-orm';
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import { enquiries } from '../db/schema.js';
import { appendEvent } from '../audit/service.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { invalidInput, notFound } from '../http/problem.js';
import { newId } from '../ids.js';
import { guardEnquiry } from '../rounds/lifecycle.js';
import { loadItem, visibleRound } from '../rounds/service.js';
import type { Enquiry, EnquiryInput } from './schemas.js';

type EnquiryRow = typeof enquiries.$inferSelect;

const seesAsker = (p: Principal, e: EnquiryRow) => p.role === 'operator' || p.role === 'alliance' || e.askedBy === p.orgId;

const toEnquiry = (p: Principal) => (e: EnquiryRow): Enquiry => ({
  id: e.id, itemCode: e.itemCode, question: e.question, askedAt: e.askedAt.toISOString(), answer: e.answer,
  answeredAt: e.answeredAt ? e.answeredAt.toISOString() : null, askedBy: seesAsker(p, e) ? e.askedBy : null,
});

export async function askEnquiry(ctx: AppContext, p: Principal, roundId: string, input: EnquiryInput): Promise<Enquiry> {
  return ctx.db.transaction(async (tx) => {
    const r = await visibleRound(tx, p, roundId);
    const now = ctx.clock.now();
    guardEnquiry(r, now);
    const itemCode = input.itemCode ?? null;
    if (itemCode !== null && !(await loadItem(tx, roundId, itemCode))) {
      throw invalidInput(`The round has no item ${itemCode}`, [{ path: '/itemCode', message: 'no such item in this round' }]);
    }
    const [row] = await tx.orm.insert(enquiries).values({ id: newId('enq'), roundId, itemCode, question: input.question, askedBy: p.orgId!, askedAt: now }).returning();
    await appendEvent(tx, roundId, { type: 'enquiry.asked', actor: actorOf(p), at: now, data: { enquiryId: row.id, itemCode, question: row.question } });
    return toEnquiry(p)(row);
  });
}

export async function answerEnquiry(ctx: AppContext, p: Principal, roundId: string, enquiryId: string, answer: string): Promise<Enquiry> {
  return ctx.db.transaction(async (tx) => {
    // The round's lock orders answers with the bid window's end (and with each other).
    const r = await visibleRound(tx, p, roundId, true);
    const [e] = await tx.orm.select().from(enquiries).where(and(eq(enquiries.id, enquiryId), eq(enquiries.roundId, roundId)));
    if (!e) throw notFound('Enquiry');
    const now = ctx.clock.now();
    guardEnquiry(r, now);
    const [row] = await tx.orm.update(enquiries).set({ answer, answeredAt: now }).where(eq(enquiries.id, e.id)).returning();
    await appendEvent(tx, roundId, {
      type: e.answer === null ? 'enquiry.answered' : 'enquiry.corrected', actor: actorOf(p), at: now, data: { enquiryId: e.id, answer },
    });
    return toEnquiry(p)(row);
  });
}

export async function listEnquiries(ctx: AppContext, p: Principal, roundId: string, q: { limit?: number; cursor?: string }) {
  await visibleRound(ctx.db, p, roundId);
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 1);
  const rows = await ctx.db.orm.select().from(enquiries)
    .where(and(eq(enquiries.roundId, roundId), gt(enquiries.id, after ? String(after[0]) : '')))
    .orderBy(asc(enquiries.id)).limit(limit + 1);
  return toPage(rows, limit, (e) => [e.id], toEnquiry(p));
}

/**
 * POST /open as a job (SECURITY.md "Key custody"): the API process checks
 * what it can answer at once (state, bidClosesAt), then asks the process that
 * holds the opening private key (the worker; in embedded mode the in-process
 * runner) through an `open-round` outbox job, and waits for it. One job per
 * round (key `open-round:<id>`): a repeated POST /open while it runs waits for
 * the same job; if the wait runs out the answer is 503 `opening-pending`
 * (the job still completes; GET /results answers once it has).
 */
import { sql } from 'drizzle-orm';
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import { outbox } from '../db/schema.js';
import { Problem } from '../http/problem.js';
import { waitForJob } from '../outbox/service.js';
import { guardOpening, isOpened } from '../rounds/lifecycle.js';
import { phaseOf, requireOwnAlliance, visibleRound } from '../rounds/service.js';
import type { RoundRow } from '../rounds/mapper.js';

export const OPEN_ROUND = 'open-round';
export const openJobKey = (roundId: string) => `${OPEN_ROUND}:${roundId}`;

/** What an open-round job stores as its result: opened, or the problem that refused it (not retried). */
export type OpenOutcome = { opened: true } | { problem: { status: number; slug: string; title: string; detail: string } };

export const openingPending = () => new Problem(503, 'opening-pending', 'Opening pending',
  'The bids are being opened; GET /results answers once they are (a repeated POST /open waits for the same opening)');

/** The round once opened by the job (or the problem the job met). */
export async function requestOpening(ctx: AppContext, p: Principal, roundId: string): Promise<RoundRow> {
  const r = await visibleRound(ctx.db, p, roundId);
  requireOwnAlliance(p, r);
  guardOpening({ ...phaseOf(r), bidClosesAt: r.bidClosesAt }, ctx.clock.now());
  const now = ctx.clock.now();
  const id = await ctx.db.transaction(async (tx) => {
    // A job that ran and failed may be asked again; one pending or running is waited for as it is.
    const [row] = await tx.orm.insert(outbox).values({ kind: OPEN_ROUND, key: openJobKey(roundId), payload: { roundId, actor: actorOf(p) }, runAt: now, createdAt: now })
      .onConflictDoUpdate({
        target: outbox.key,
        set: { runAt: now, payload: { roundId, actor: actorOf(p) }, version: sql`${outbox.version} + 1`, state: 'pending', attempts: 0, lastError: null },
        setWhere: sql`${outbox.state} IN ('failed', 'cancelled', 'done')`,
      }).returning({ id: outbox.id });
    if (row) return row.id;
    const [existing] = await tx.query<{ id: number }>('SELECT id FROM outbox WHERE key = $1', [openJobKey(roundId)]);
    return existing.id;
  });
  ctx.jobs.kick();
  const job = await waitForJob(ctx.db, id, ctx.config.openingWaitMs);
  if (!job) throw openingPending();
  const outcome = job.result as OpenOutcome | null;
  if (job.state === 'done' && outcome && 'problem' in outcome) {
    const pr = outcome.problem;
    // Opened meanwhile by another opener (the scheduler's autoOpen, due at the same bidClosesAt): the request is done.
    const after = await visibleRound(ctx.db, p, roundId);
    if (pr.slug === 'invalid-state' && isOpened(phaseOf(after))) return after;
    throw new Problem(pr.status, pr.slug, pr.title, pr.detail);
  }
  if (job.state !== 'done') throw new Error(`the opening job of round ${roundId} ${job.state}: ${job.lastError ?? ''}`);
  return visibleRound(ctx.db, p, roundId);
}

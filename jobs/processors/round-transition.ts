/**
 * A scheduled round transition (src/rounds/schedule.ts): at bidOpensAt a round
 * in demand with autoStartBidding starts bidding; at bidClosesAt a round in
 * bidding with autoOpen is opened by the same openRound as POST /open. The
 * actor is `scheduler`. A transition that is no longer allowed (the round was
 * cancelled, moved by hand, its flag turned off) does nothing. Idempotent:
 * the round row is locked and its state checked, so two workers (or a job
 * handed on after a worker died) never move a round twice.
 */
import type { AppContext } from '../../src/context.js';
import { Problem } from '../../src/http/problem.js';
import { openRound } from '../../src/results/opening.js';
import { SCHEDULER, type ScheduledAction } from '../../src/rounds/schedule.js';
import { applyTransition, loadRound } from '../../src/rounds/service.js';
import type { Processor } from './types.js';

/** The round has not reached the transition's time on this process's clock: try again (the job's retry backs off). */
class TooEarly extends Error {}

/** Problems that mean "no longer allowed": the round's state moved on, or it is gone. */
const NOT_ALLOWED = new Set(['invalid-state', 'bidding-closed', 'not-found']);

async function startBidding(ctx: AppContext, roundId: string): Promise<string> {
  return ctx.db.transaction(async (tx) => {
    const r = await loadRound(tx, roundId, true);
    if (!r || !r.autoStartBidding) return 'not-scheduled';
    if (ctx.clock.now() < r.bidOpensAt) throw new TooEarly(`bidding opens at ${r.bidOpensAt.toISOString()}`);
    await applyTransition(ctx, tx, SCHEDULER, r, 'start-bidding');
    return 'bidding';
  });
}

async function open(ctx: AppContext, roundId: string): Promise<string> {
  const r = await loadRound(ctx.db, roundId);
  if (!r || !r.autoOpen) return 'not-scheduled';
  await openRound(ctx, SCHEDULER, roundId);
  return 'opened';
}

export const roundTransition: Processor = {
  async run(ctx, payload) {
    const roundId = String(payload.roundId);
    const action = payload.action as ScheduledAction;
    try {
      const outcome = action === 'open' ? await open(ctx, roundId) : action === 'start-bidding' ? await startBidding(ctx, roundId) : 'unknown-action';
      return { roundId, action, outcome };
    } catch (e) {
      if (e instanceof Problem && NOT_ALLOWED.has(e.slug)) return { roundId, action, outcome: 'not-allowed', detail: e.detail };
      // bidding-not-closed (a clock a little behind the queue's) and anything else: retried with backoff.
      throw e;
    }
  },
  concurrency: 4,
};

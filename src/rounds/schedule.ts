/**
 * Scheduled transitions (DOMAIN.md "Scheduled transitions"): one outbox job
 * per round and transition, named by a key, so moving the bid window while
 * draft moves the job (a new version: the copy BullMQ holds for the old time
 * does nothing) and cancelling the round withdraws it. In production the
 * relay turns the row into a BullMQ delayed job; in embedded mode the
 * in-process runner arms a timer for it. A job that fell due while nothing
 * ran is due at the next start, in either mode.
 */
import type { Queryable } from '../db/client.js';
import { schedule, unschedule } from '../outbox/service.js';
import type { RoundRow } from './mapper.js';

/** The outbox kind of a scheduled transition (jobs/processors/round-transition.ts runs it). */
export const ROUND_TRANSITION = 'round.transition';
/** The audit actor of every scheduled transition. */
export const SCHEDULER = 'scheduler';

export type ScheduledAction = 'start-bidding' | 'open';
export interface TransitionPayload { roundId: string; action: ScheduledAction }

export const transitionKey = (roundId: string, action: ScheduledAction) => `round:${roundId}:${action}`;

type Schedulable = Pick<RoundRow, 'id' | 'autoStartBidding' | 'autoOpen' | 'bidOpensAt' | 'bidClosesAt'>;

/** The round's jobs as its flags and window say: each asked-for transition at its time, the others withdrawn. */
export async function scheduleTransitions(tx: Queryable, r: Schedulable, now: Date): Promise<void> {
  const want: [ScheduledAction, boolean, Date][] = [['start-bidding', r.autoStartBidding, r.bidOpensAt], ['open', r.autoOpen, r.bidClosesAt]];
  for (const [action, on, at] of want) {
    const key = transitionKey(r.id, action);
    if (on) {
      // A job that already ran for an earlier window (it found the round still in draft and did nothing) gives way to a fresh one.
      await tx.query(`DELETE FROM outbox WHERE key = $1 AND state = 'done'`, [key]);
      await schedule(tx, key, ROUND_TRANSITION, { roundId: r.id, action } satisfies TransitionPayload, at, now);
    }
    else await unschedule(tx, key);
  }
}

/** A cancelled round has nothing left to schedule. */
export async function unscheduleTransitions(tx: Queryable, roundId: string): Promise<void> {
  await unschedule(tx, transitionKey(roundId, 'start-bidding'));
  await unschedule(tx, transitionKey(roundId, 'open'));
}

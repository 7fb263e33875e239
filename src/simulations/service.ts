/**
 * Rule simulation (DOMAIN.md "Rule simulation"): the opened round's bids
 * evaluated under other rules by the same pure evaluation as opening, then
 * allocated by the same set-based steps as award, in a transaction that is
 * rolled back: the simulated results take the place of the round's own
 * (item_results, bid_results, and after award allocations, award_winners,
 * award_totals) only inside it, so the answer is read with the same code as
 * GET /results and nothing stays. Region preferences exist only for the
 * round's winners, so those of manufacturers winning under both rule sets
 * are used and other winners have none. The one write is the audit event.
 */
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import { appendEvent } from '../audit/service.js';
import { allocateRound } from '../results/award.js';
import { openedBids } from '../results/opened-bids.js';
import { evaluateRound, storeResults } from '../results/opening.js';
import { getResults, weightedDropOf } from '../results/service.js';
import { guardSimulation } from '../rounds/lifecycle.js';
import { loadItems, resolve, visibleRound } from '../rounds/service.js';
import type { Simulation, SimulationInput } from './schemas.js';

/** Carries the answer out of the transaction it rolls back. */
class Rollback extends Error {
  constructor(readonly answer: Simulation) { super('simulation rolled back'); }
}

export async function simulate(ctx: AppContext, p: Principal, roundId: string, input: SimulationInput): Promise<Simulation> {
  const rules = resolve(input.rules);
  let answer: Simulation | null = null;
  try {
    await ctx.db.transaction(async (tx) => {
      // The round's lock: no award, decision or other simulation changes these rows meanwhile.
      const r = await visibleRound(tx, p, roundId, true);
      guardSimulation(r);
      const simulated = { ...r, rules };
      const bids = await openedBids(tx, r);
      const results = evaluateRound(simulated, await loadItems(tx, roundId), bids);
      await tx.query('DELETE FROM bid_results WHERE round_id = $1', [roundId]);
      await tx.query('DELETE FROM item_results WHERE round_id = $1', [roundId]);
      await tx.query('DELETE FROM award_totals WHERE round_id = $1', [roundId]);
      await tx.query('DELETE FROM allocations WHERE round_no = $1', [r.no]);
      await tx.query('DELETE FROM award_winners WHERE round_no = $1', [r.no]);
      await storeResults(tx, roundId, simulated, results, bids);
      await allocateRound(tx, simulated);
      const res = await getResults(tx, r);
      throw new Rollback({ rules: { ...rules }, round: { ...res.round, weightedDrop: await weightedDropOf(tx, roundId) }, items: res.items });
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
    answer = e.answer;
  }
  await ctx.db.transaction((tx) => appendEvent(tx, roundId, { type: 'round.simulated', actor: actorOf(p), at: ctx.clock.now(), data: { rules } }));
  return answer!;
}

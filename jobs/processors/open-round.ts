import { Problem } from '../../src/http/problem.js';
import { openRound } from '../../src/results/opening.js';
import type { OpenOutcome } from '../../src/results/open-request.js';
import type { Processor } from './types.js';

/**
 * Opens a round's bids where the opening private key lives (the worker, or
 * the embedded runner). A refusal (a state that moved on, a bid that fails
 * its integrity check) is the job's result, not a failure to retry; POST
 * /open answers it as the problem it is.
 */
export const openRoundProcessor: Processor = {
  async run(ctx, payload): Promise<OpenOutcome> {
    try {
      await openRound(ctx, String(payload.actor), String(payload.roundId));
      return { opened: true };
    } catch (e) {
      if (e instanceof Problem && e.status < 500) return { problem: { status: e.status, slug: e.slug, title: e.title, detail: e.detail } };
      throw e;
    }
  },
};

import { REPORT_JOB } from '../../src/reports/model.js';
import { OPEN_ROUND } from '../../src/results/open-request.js';
import { ROUND_TRANSITION } from '../../src/rounds/schedule.js';
import { openRoundProcessor } from './open-round.js';
import { reportProcessor } from './report.js';
import { roundTransition } from './round-transition.js';
import type { Processors } from './types.js';

/** Every job kind the platform runs, by outbox kind (each processor in its own file). */
export const processors: Processors = {
  [OPEN_ROUND]: openRoundProcessor,
  [ROUND_TRANSITION]: roundTransition,
  [REPORT_JOB]: reportProcessor,
};

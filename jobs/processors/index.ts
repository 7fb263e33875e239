import { ROUND_TRANSITION } from '../../src/rounds/schedule.js';
import { roundTransition } from './round-transition.js';
import type { Processors } from './types.js';

/** Every job kind the platform runs, by outbox kind (each processor in its own file). */
export const processors: Processors = {
  [ROUND_TRANSITION]: roundTransition,
};

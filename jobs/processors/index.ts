import type { Processors } from './types.js';

/** Every job kind the platform runs, by outbox kind (each processor in its own file). */
export const processors: Processors = {};

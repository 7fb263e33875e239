import { REPORT_JOB } from '../../src/reports/model.js';
import { reportProcessor } from './report.js';
import type { Processors } from './types.js';

/** Every job kind the platform runs, by outbox kind (each processor in its own file). */
export const processors: Processors = { [REPORT_JOB]: reportProcessor };

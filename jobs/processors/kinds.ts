import { REPORT_JOB } from '../../src/reports/model.js';
import { OPEN_ROUND } from '../../src/results/open-request.js';
import { ROUND_TRANSITION } from '../../src/rounds/schedule.js';

/**
 * Every job kind, without its processor: an API process with Redis only relays (a queue per kind), so it names
 * them here and never loads the processors and what they import (the report writers, exceljs among them).
 * jobs/processors/index.ts has one processor per kind (a test checks that the two agree).
 */
export const JOB_KINDS: readonly string[] = [OPEN_ROUND, ROUND_TRANSITION, REPORT_JOB];

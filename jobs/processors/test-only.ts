import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Processors } from './types.js';

/**
 * Job kinds for the fault tests only (a worker killed mid-job). They are added
 * to a worker only when NODE_ENV=test *and* JICAI_TEST_ONLY_PROCESSORS=1 (see
 * testOnlyProcessors); a production process with the flag but not NODE_ENV=test
 * refuses to start, so the flag cannot slip into production unnoticed.
 *
 * `test.slow` appends "start <pid> <attempt>" to <dir>/<tag>.log, works for `ms`
 * milliseconds, then appends "done <pid>": the test counts the lines.
 */
export const TEST_ONLY_PROCESSORS: Processors = {
  'test.slow': {
    async run(_ctx, payload, run) {
      const file = join(String(payload.dir), `${String(payload.tag)}.log`);
      appendFileSync(file, `start ${process.pid} ${run.attempt}\n`);
      await new Promise((r) => setTimeout(r, Number(payload.ms)));
      appendFileSync(file, `done ${process.pid}\n`);
      return { by: process.pid };
    },
  },
};

/** The test-only kinds when both switches are on; none otherwise; an error when only the flag is set. */
export function testOnlyProcessors(env: NodeJS.ProcessEnv = process.env): Processors {
  if (env.JICAI_TEST_ONLY_PROCESSORS !== '1') return {};
  if (env.NODE_ENV !== 'test') throw new TestOnlyError('JICAI_TEST_ONLY_PROCESSORS is for tests only (it needs NODE_ENV=test); unset it');
  return TEST_ONLY_PROCESSORS;
}

export class TestOnlyError extends Error { override name = 'TestOnlyError'; }

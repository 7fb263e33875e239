/**
 * The job side of a process, by mode (ENGINEERING.md "Two modes"):
 * - embedded (no REDIS_URL): the in-process runner executes the processors from the outbox;
 * - an API process with Redis: the relay only (it moves its own commits to BullMQ at once);
 * - a worker (`npm run worker`): the relay and BullMQ workers for every kind.
 */
import type { AppContext } from '../src/context.js';
import type { Jobs } from '../src/http/health.js';
import { openQueues, redisConnection } from './queues.js';
import { Relay } from './relay.js';
import { Runner } from './runner.js';
import { startWorkers, type Workers } from './workers.js';
import type { Processors } from './processors/types.js';
import { JOB_KINDS } from './processors/kinds.js';

export type JobSide = Jobs & {
  /** Begins running (or relaying) jobs of `ctx`. */
  start(ctx: AppContext): Promise<void>;
};

export interface JobSideOptions {
  redisUrl: string | null;
  prefix: string;
  /** The first retry's delay (doubling after each failure). */
  backoffMs: number;
  /** Null in an API process with Redis: it relays by kind (JOB_KINDS) and runs nothing. */
  processors: Processors | null;
  /** Run BullMQ workers in this process (the worker, tests); API processes only relay. */
  work?: boolean;
  /** Embedded runner: arm timers for future jobs (tests with a manual clock call runDue instead). */
  timers?: boolean;
  pollMs?: number;
  /** BullMQ lock of an active job: a job whose worker died is handed on after this long (default 30 s). */
  lockMs?: number;
}

export function jobSide(o: JobSideOptions): JobSide {
  if (!o.redisUrl) {
    if (!o.processors) throw new Error('embedded mode runs the jobs in process: processors are required');
    return new Runner(o.processors, { timers: o.timers });
  }
  if (o.work && !o.processors) throw new Error('a worker needs its processors');
  const processors = o.processors;
  const redis = redisConnection(o.redisUrl);
  const queues = openQueues(processors ? Object.keys(processors) : [...JOB_KINDS], { url: o.redisUrl, prefix: o.prefix, backoffMs: o.backoffMs }, redis);
  const relay = new Relay(queues, redis, o.pollMs);
  let workers: Workers | null = null;
  let workerRedis: ReturnType<typeof redisConnection> | null = null;
  return {
    kind: 'redis',
    bullQueues: [...queues.values()],
    ping: () => relay.ping(),
    kick: () => relay.kick(),
    async start(ctx) {
      relay.start(ctx);
      if (o.work && processors) {
        workerRedis = redisConnection(o.redisUrl!);
        workers = startWorkers(ctx, processors, { prefix: o.prefix, connection: workerRedis, lockMs: o.lockMs });
      }
    },
    async close() {
      // With Redis unreachable, BullMQ's close waits for a connection that never comes (its workers' own
      // connections retry for ever): then drop ours and give the closes a bounded moment.
      const down = redis.status !== 'ready' || (workerRedis !== null && workerRedis.status !== 'ready');
      const closing = (async () => {
        await relay.close();
        await workers?.close(down);
        await Promise.all([...queues.values()].map((q) => q.close().catch(() => {})));
      })();
      if (down) {
        redis.disconnect();
        workerRedis?.disconnect();
        await Promise.race([closing, new Promise((r) => setTimeout(r, 1000).unref())]);
      } else await closing;
      redis.disconnect();
      workerRedis?.disconnect();
    },
  };
}

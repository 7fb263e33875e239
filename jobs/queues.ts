/** BullMQ as jicai uses it: one queue per job kind, under a prefix, with the retry policy of every mode. */
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { RETRY } from './processors/types.js';

/** A connection BullMQ may block on (workers need maxRetriesPerRequest: null); errors surface in the callers' retries. */
export function redisConnection(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: false });
  redis.on('error', () => {});
  return redis;
}

export interface QueueOptions { url: string; prefix: string; backoffMs: number }

export const jobOptions = (backoffMs: number): JobsOptions => ({
  attempts: RETRY.attempts,
  backoff: { type: 'exponential', delay: backoffMs },
  // Finished jobs stay a day for bull-board and for the relay's dedupe by job id, then go: Redis holds no history.
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
});

/** The BullMQ job id of an outbox row at a version: a row relayed twice is one job. */
export const jobIdOf = (outboxId: number, version: number) => `${outboxId}-v${version}`;

export function openQueues(kinds: readonly string[], o: QueueOptions, connection: ConnectionOptions): Map<string, Queue> {
  return new Map(kinds.map((k) => {
    const q = new Queue(k, { connection, prefix: o.prefix, defaultJobOptions: jobOptions(o.backoffMs) });
    // Redis down: the relay's calls fail and are tried again at its next pass; the event needs no log line of its own.
    q.on('error', () => {});
    return [k, q];
  }));
}

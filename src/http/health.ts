import type { Queue } from 'bullmq';
/**
 * The job side of the platform as the HTTP layer sees it: a health probe and a
 * hint that new outbox rows are waiting. Production relays them to BullMQ
 * (jobs/relay.ts); embedded mode runs them in-process (jobs/runner.ts).
 */
export interface Jobs {
  readonly kind: 'redis' | 'in-process';
  ping(): Promise<void>;
  /** New outbox rows were committed: relay or run them now instead of at the next poll. */
  kick(): void;
  close(): Promise<void>;
  /** The BullMQ queues (production), for the operators' dashboard. */
  readonly bullQueues?: readonly Queue[];
}

/** A job side that only answers health checks (scripts that never enqueue). */
export const noJobs = (): Jobs => ({ kind: 'in-process', ping: async () => {}, kick: () => {}, close: async () => {} });

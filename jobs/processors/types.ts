import type { AppContext } from '../../src/context.js';

/** What a processor is told about the run it is in. */
export interface JobRun {
  outboxId: number;
  /** 1 for the first attempt. */
  attempt: number;
  /** No retry follows if this attempt fails. */
  finalAttempt: boolean;
}

/**
 * One job kind. `run` must be idempotent: a job may run twice (a relay that
 * died after adding it, a worker killed mid-job), and must leave the same
 * result. Its return value is stored on the outbox row.
 */
export interface Processor {
  run(ctx: AppContext, payload: Record<string, unknown>, run: JobRun): Promise<unknown>;
  /** After the last attempt failed: record the failure where users see it. */
  failed?(ctx: AppContext, payload: Record<string, unknown>, error: Error): Promise<void>;
  /** BullMQ worker concurrency for this kind (default 1). */
  concurrency?: number;
}

export type Processors = Readonly<Record<string, Processor>>;

/** Attempts per job, in both modes; the first retry waits config.jobBackoffMs (1 s), doubling after each failure. */
export const RETRY = { attempts: 5 };

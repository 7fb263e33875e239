import type { Config } from './config.js';
import type { Clock } from './clock.js';
import type { Db } from './db/client.js';
import type { Jobs } from './http/health.js';

/** Everything a service needs, built once per process (or per test). */
export interface AppContext {
  db: Db;
  config: Config;
  clock: Clock;
  /** The job side: BullMQ through the outbox relay in production, the in-process runner in embedded mode. */
  jobs: Jobs;
}

export type Role = 'operator' | 'alliance' | 'hospital' | 'manufacturer';

export interface Principal {
  role: Role;
  /** null for the operator's master key. */
  orgId: string | null;
  /** The organization's number (the compact key of high-volume tables); null for the operator. */
  no: number | null;
  tokenId: string | null;
  regionCode: string | null;
  /** An alliance's regions. */
  regionCodes: string[];
}

export const actorOf = (p: Principal): string => p.orgId ?? 'operator';

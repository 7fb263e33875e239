import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  /** PostgreSQL URL; absent means the embedded PGlite database in dataDir. */
  databaseUrl: string | null;
  /** Redis URL for BullMQ; absent means jobs run in-process. */
  redisUrl: string | null;
  /** The first retry of a failed job waits this long (then twice as long after each failure). */
  jobBackoffMs: number;
  /** A job whose worker died is handed to another worker after this long without a lock renewal (BullMQ; default 30 s). */
  jobLockMs?: number;
  /** Prefix of the BullMQ keys in Redis (several installations, or test runs, may share one Redis). */
  queuePrefix: string;
  masterKey: string;
  /** 32-byte key-encryption key that wraps every round's bid data key. */
  bidKek: Buffer;
  bodyLimit: number;
  bulkBodyLimit: number;
  /** Records a bulk upload may hold (a national round's demand is 3,000,000). */
  maxUploadRows: number;
  /** Requests per token (per client address without one) in each window. */
  rateLimit: { max: number; windowMs: number };
  /** The load balancers whose X-Forwarded-For is trusted (addresses or CIDRs, comma-separated); false: none. */
  trustProxy: string | false;
  /** A request must arrive whole within this time (headers and body; uploads are large). */
  requestTimeoutMs: number;
  /** Set when the master key was generated on this start, so server.ts can print it once. */
  generatedMasterKey: boolean;
}

/** A setting that is missing or malformed: the process prints its message (one line) and exits. */
export class ConfigError extends Error {}

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  return Number(raw);
}

/** Reads a key from the environment, else from dataDir, else (embedded only) generates it there once. */
function loadKey(opts: { env: string | undefined; file: string; embedded: boolean; name: string; make: () => string }): { value: string; generated: boolean } {
  if (opts.env) return { value: opts.env, generated: false };
  if (existsSync(opts.file)) return { value: readFileSync(opts.file, 'utf8').trim(), generated: false };
  if (!opts.embedded) throw new ConfigError(`${opts.name} is required when DATABASE_URL is set`);
  const value = opts.make();
  writeFileSync(opts.file, value + '\n', { mode: 0o600 });
  return { value, generated: true };
}

function isPostgresUrl(text: string): boolean {
  try { return ['postgres:', 'postgresql:'].includes(new URL(text).protocol); } catch { return false; }
}

export function parseKek(text: string): Buffer {
  const buf = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (buf.length !== 32) throw new ConfigError('JICAI_BID_KEK must be 32 bytes, as 64 hex digits or base64');
  return buf;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.JICAI_DATA_DIR || './data');
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl !== null && !isPostgresUrl(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL (unset it for the embedded database)');
  }
  const embedded = databaseUrl === null;
  if (embedded || !env.JICAI_MASTER_KEY || !env.JICAI_BID_KEK) mkdirSync(dataDir, { recursive: true });
  const master = loadKey({
    env: env.JICAI_MASTER_KEY, file: join(dataDir, 'master-key'), embedded, name: 'JICAI_MASTER_KEY',
    make: () => 'jk_op_' + randomBytes(24).toString('base64url'),
  });
  if (master.value.length < 16) throw new ConfigError('JICAI_MASTER_KEY must be at least 16 characters');
  const kek = loadKey({
    env: env.JICAI_BID_KEK, file: join(dataDir, 'bid-kek'), embedded, name: 'JICAI_BID_KEK',
    make: () => randomBytes(32).toString('hex'),
  });
  return {
    port: intEnv(env, 'PORT', 3000),
    host: env.HOST || '127.0.0.1',
    dataDir,
    logLevel: env.LOG_LEVEL || 'info',
    databaseUrl,
    redisUrl: env.REDIS_URL || null,
    queuePrefix: env.JICAI_QUEUE_PREFIX || 'jicai',
    jobBackoffMs: intEnv(env, 'JICAI_JOB_BACKOFF_MS', 1000),
    jobLockMs: intEnv(env, 'JICAI_JOB_LOCK_MS', 30_000),
    masterKey: master.value,
    bidKek: parseKek(kek.value),
    bodyLimit: intEnv(env, 'JICAI_BODY_LIMIT', 1024 * 1024),
    bulkBodyLimit: intEnv(env, 'JICAI_BULK_BODY_LIMIT', 512 * 1024 * 1024),
    maxUploadRows: intEnv(env, 'JICAI_MAX_UPLOAD_ROWS', 5_000_000),
    // High enough for a bidder replacing bids as fast as the platform takes them (the bid benchmark: ~45/s per manufacturer).
    rateLimit: { max: intEnv(env, 'JICAI_RATE_LIMIT', 20_000), windowMs: intEnv(env, 'JICAI_RATE_WINDOW_MS', 60_000) },
    requestTimeoutMs: intEnv(env, 'JICAI_REQUEST_TIMEOUT_MS', 300_000),
    trustProxy: env.JICAI_TRUST_PROXY || false,
    generatedMasterKey: master.generated,
  };
}

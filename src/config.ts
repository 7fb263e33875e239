import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { newOpeningKeyPair, openingKeyId, parsePrivateKey, parsePublicKey, spkiOf, type OpeningKey } from './bids/custody.js';
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
  /** Round keys are sealed to this key (every process has it). */
  openingKey: OpeningKey;
  /**
   * The opening key's private part: only where opening runs (the worker; the
   * embedded process, which keeps it in dataDir). null in API processes.
   */
  openingPrivateKey: KeyObject | null;
  /** Set when the embedded process generated or read the opening private key from dataDir (server.ts warns). */
  openingKeyInDataDir: boolean;
  /** POST /open waits this long for the worker's opening job before answering 503 opening-pending. */
  openingWaitMs: number;
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

function parseKey<T>(name: string, text: string, parse: (t: string) => T): T {
  try { return parse(text); } catch (e) {
    throw new ConfigError(`${name} is not an X25519 key (PEM, or base64 DER): ${(e as Error).message}`);
  }
}

/**
 * The opening key (SECURITY.md "Key custody"). With DATABASE_URL every process
 * needs JICAI_OPENING_PUBLIC_KEY; the worker also JICAI_OPENING_PRIVATE_KEY
 * (or JICAI_OPENING_PRIVATE_KEY_FILE). Embedded mode keeps the pair in
 * dataDir/opening-key.pem for trials (generated once; server.ts warns).
 */
function loadOpeningKey(env: NodeJS.ProcessEnv, dataDir: string, embedded: boolean) {
  let privateText = env.JICAI_OPENING_PRIVATE_KEY || null;
  if (!privateText && env.JICAI_OPENING_PRIVATE_KEY_FILE) {
    try { privateText = readFileSync(env.JICAI_OPENING_PRIVATE_KEY_FILE, 'utf8'); } catch (e) {
      throw new ConfigError(`JICAI_OPENING_PRIVATE_KEY_FILE cannot be read: ${(e as Error).message}`);
    }
  }
  let inDataDir = false;
  const file = join(dataDir, 'opening-key.pem');
  if (!privateText && embedded && !env.JICAI_OPENING_PUBLIC_KEY) {
    if (!existsSync(file)) writeFileSync(file, newOpeningKeyPair().privatePem, { mode: 0o600 });
    privateText = readFileSync(file, 'utf8');
    inDataDir = true;
  }
  const privateKey = privateText ? parseKey('JICAI_OPENING_PRIVATE_KEY', privateText, parsePrivateKey) : null;
  let publicKey: KeyObject;
  if (env.JICAI_OPENING_PUBLIC_KEY) {
    publicKey = parseKey('JICAI_OPENING_PUBLIC_KEY', env.JICAI_OPENING_PUBLIC_KEY, parsePublicKey);
    if (privateKey && !spkiOf(createPublicKey(privateKey)).equals(spkiOf(publicKey))) {
      throw new ConfigError('JICAI_OPENING_PRIVATE_KEY is not the private part of JICAI_OPENING_PUBLIC_KEY');
    }
  } else if (privateKey && embedded) {
    publicKey = createPublicKey(privateKey);
  } else {
    throw new ConfigError('JICAI_OPENING_PUBLIC_KEY is required when DATABASE_URL is set (create a pair with `npx tsx scripts/opening-key.ts`)');
  }
  return { openingKey: { publicKey, id: openingKeyId(publicKey) }, openingPrivateKey: privateKey, openingKeyInDataDir: inDataDir };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.JICAI_DATA_DIR || './data');
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl !== null && !isPostgresUrl(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL (unset it for the embedded database)');
  }
  const embedded = databaseUrl === null;
  if (embedded || !env.JICAI_MASTER_KEY) mkdirSync(dataDir, { recursive: true });
  const master = loadKey({
    env: env.JICAI_MASTER_KEY, file: join(dataDir, 'master-key'), embedded, name: 'JICAI_MASTER_KEY',
    make: () => 'jk_op_' + randomBytes(24).toString('base64url'),
  });
  if (master.value.length < 16) throw new ConfigError('JICAI_MASTER_KEY must be at least 16 characters');
  const opening = loadOpeningKey(env, dataDir, embedded);
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
    ...opening,
    openingWaitMs: intEnv(env, 'JICAI_OPENING_WAIT_MS', 30_000),
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

/** A fresh opening key pair held in memory only (scripts and tests that never keep a round). */
export function ephemeralOpeningKeys(): Pick<Config, 'openingKey' | 'openingPrivateKey' | 'openingKeyInDataDir' | 'openingWaitMs'> {
  const privateKey = parsePrivateKey(newOpeningKeyPair().privatePem);
  const publicKey = createPublicKey(privateKey);
  return { openingKey: { publicKey, id: openingKeyId(publicKey) }, openingPrivateKey: privateKey, openingKeyInDataDir: false, openingWaitMs: 30_000 };
}

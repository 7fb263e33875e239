import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../src/app.js';
import { openingKeyId } from '../src/bids/custody.js';
import { ManualClock } from '../src/clock.js';
import type { Config } from '../src/config.js';
import type { AppContext } from '../src/context.js';
import { createDb, type Db } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import type { Page } from '../src/http/pagination.js';
import type { BidAccepted, BidInput, BidView } from '../src/bids/schemas.js';
import type { Product, ProductInput } from '../src/catalogue/schemas.js';
import type { DemandAggregate, DemandInput, DemandLine } from '../src/demand/schemas.js';
import type { Organization, OrganizationInput, Suspension, SuspensionInput, TokenCreated, TokenInput } from '../src/organizations/schemas.js';
import type { Agreement, Allocation, Preference, PreferenceInput, Results } from '../src/results/schemas.js';
import type { Item, ItemInput, Round, RoundInput, RoundPatch } from '../src/rounds/schemas.js';
import type { MonitoringRules, Rules } from '../src/rules/presets.js';
import { jobSide, type JobSide } from '../jobs/index.js';
import { processors as allProcessors } from '../jobs/processors/index.js';
import type { Processors } from '../jobs/processors/types.js';

export const MASTER = 'test-master-key-0123456789abcdef';

/**
 * The opening key of a test app: the app and the job side share one ctx, and
 * the job side is the worker, so both parts are there. `apiOnly` leaves out the
 * private part, as an API process runs (SECURITY.md).
 */
export function testOpeningKeys(pair = generateKeyPairSync('x25519'), apiOnly = false): Pick<Config, 'openingKey' | 'openingPrivateKey' | 'openingKeyInDataDir' | 'openingWaitMs'> {
  return { openingKey: { publicKey: pair.publicKey, id: openingKeyId(pair.publicKey) }, openingPrivateKey: apiOnly ? null : pair.privateKey, openingKeyInDataDir: false, openingWaitMs: 30_000 };
}
export const op: Record<string, string> = { authorization: `Bearer ${MASTER}` };

export interface TestApp { app: FastifyInstance; ctx: AppContext; clock: ManualClock; db: Db; jobs: JobSide; close(): Promise<void>; url: string | null }

declare module 'vitest' { interface ProvidedContext { template: string; testDbPrefix: string; pgliteTemplate: string } }

/**
 * A fresh app on a fresh database: a clone of the migrated template on the
 * real PostgreSQL when DATABASE_URL is set, else an in-memory PGlite.
 */
/** A clock that is the system's (tests with real time): it may be read like the manual one, and is not moved. */
class SystemTimeClock extends ManualClock {
  override now(): Date { return new Date(); }
}

/** PG mode: a new database `name` cloned from the run's migrated template; returns its URL. */
export async function cloneTemplate(name: string): Promise<string> {
  const base = process.env.DATABASE_URL!;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  try { await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${inject('template')}`); } finally { await admin.end(); }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops a test database, whoever is still connected (cleanup never fails a test). */
export async function dropDatabase(name: string): Promise<void> {
  const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  await admin.end();
}

/**
 * `realTime`: the system clock and, in embedded mode, the runner's timers on (a test that waits for a scheduled job in real time).
 */
export async function testApp(opts: { pglite?: boolean; config?: Partial<Config>; processors?: Processors; realTime?: boolean; work?: boolean } = {}): Promise<TestApp> {
  const base = process.env.DATABASE_URL;
  let db: Db;
  let url: string | null = null;
  let name = `pglite_${randomBytes(6).toString('hex')}`;
  let drop = async () => {};
  if (base && !opts.pglite) {
    name = `${inject('testDbPrefix')}${randomBytes(6).toString('hex')}`;
    url = await cloneTemplate(name);
    db = await createDb({ databaseUrl: url, max: 10 });
    const dbName = name;
    drop = () => dropDatabase(dbName);
  } else {
    // A copy of the migrated PGlite directory of global-setup (a migration run per file costs seconds).
    const template = inject('pgliteTemplate');
    if (template) {
      const dir = mkdtempSync(join(tmpdir(), 'jicai-pglite-'));
      cpSync(template, join(dir, 'data'), { recursive: true });
      db = await createDb({ databaseUrl: null, dataDir: join(dir, 'data') });
      drop = async () => { rmSync(dir, { recursive: true, force: true }); };
    } else {
      db = await createDb({ databaseUrl: null });
      await runMigrations(db);
    }
  }
  const config: Config = {
    port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(tmpdir(), 'jicai-')), logLevel: 'silent',
    databaseUrl: url, redisUrl: url ? process.env.REDIS_URL ?? null : null, queuePrefix: `jicai-test-${name}`, jobBackoffMs: 50, masterKey: MASTER, ...testOpeningKeys(),
    bodyLimit: 1024 * 1024, bulkBodyLimit: 64 * 1024 * 1024, generatedMasterKey: false,
    maxUploadRows: 5_000_000, rateLimit: { max: 1_000_000, windowMs: 60_000 }, requestTimeoutMs: 60_000, trustProxy: false, ...opts.config,
  };
  const clock = opts.realTime ? new SystemTimeClock() : new ManualClock(new Date('2026-03-01T00:00:00Z'));
  // The real job side of the mode: BullMQ workers in this process on real Redis (a prefix per test database), else the
  // in-process runner; its timers are off, since the clock is manual: a test runs due jobs with jobs.runDue or a kick.
  const jobs = jobSide({
    redisUrl: config.redisUrl, prefix: config.queuePrefix, backoffMs: config.jobBackoffMs, processors: { ...allProcessors, ...opts.processors }, work: opts.work ?? true, timers: !!opts.realTime, pollMs: 200,
  });
  const ctx: AppContext = { db, config, clock, jobs };
  const app = await buildApp(ctx, { logger: process.env.TEST_LOG ? { level: 'error' } : false });
  await app.ready();
  await jobs.start(ctx);
  return {
    app, ctx, clock, db, url, jobs,
    async close() {
      // Every 4xx a route gave during the file must be listed in the document (src/http/operations.ts).
      const undocumented = [...app.undocumentedAnswers];
      try { await app.close(); await jobs.close(); await db.close(); } finally { await drop(); }
      if (undocumented.length) throw new Error(`answers not listed in the OpenAPI document (src/http/operations.ts): ${undocumented.join(', ')}`);
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export type H = Record<string, string>;
/** What every call answers. `body` has the success shape of the route (a 4xx body is read through expectProblem). */
export interface Res<T = any> { status: number; body: T; headers: OutgoingHttpHeaders }

const call = async (app: FastifyInstance, method: string, url: string, headers: H, payload?: unknown): Promise<Res> => {
  const res = await app.inject({
    method: method as InjectOptions['method'], url, headers,
    ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }),
  });
  let body: unknown;
  try { body = res.body ? JSON.parse(res.body) : undefined; } catch { body = res.body; }
  return { status: res.statusCode, body, headers: res.headers };
};

/** Small API client over app.inject for tests: bodies and answers untyped (see `api` for the typed one). */
export function client(app: FastifyInstance) {
  return {
    get: (url: string, h: H) => call(app, 'GET', url, h),
    post: (url: string, h: H, body?: unknown, extra: H = {}) => call(app, 'POST', url, { ...h, ...extra }, body),
    put: (url: string, h: H, body?: unknown) => call(app, 'PUT', url, h, body),
    patch: (url: string, h: H, body?: unknown) => call(app, 'PATCH', url, h, body),
    del: (url: string, h: H) => call(app, 'DELETE', url, h),
    raw: (method: string, url: string, h: H, payload: string, contentType: string) =>
      call(app, method, url, { ...h, 'content-type': contentType }, payload),
  };
}
export type Client = ReturnType<typeof client>;

// ---- The typed client: request bodies from the schemas' Static types, answers from the response schemas. ----

declare const invalidBody: unique symbol;
/** A body sent on purpose against its schema (bad-input tests); `invalid(x)` makes one. */
export type Invalid = { readonly [invalidBody]: true };
export const invalid = (body: unknown): Invalid => body as Invalid;

/** The rules of a round as a client sends them: a preset and overrides of whole fields (monitoring field by field). */
export type RulesBody = RoundInput['rules'] & Partial<Omit<Rules, 'preset' | 'monitoring'>> & { monitoring?: Partial<MonitoringRules> };
export type RoundBody = Omit<RoundInput, 'rules'> & { rules: RulesBody };
export type RoundPatchBody = Omit<RoundPatch, 'rules'> & { rules?: RulesBody };
/** A round as answered, its rules resolved. */
export type RoundView = Omit<Round, 'rules'> & { rules: Rules };
export type BidBody = Static<typeof BidInput>;
export interface AuditEvent { seq: number; type: string; at: string; actor: string; data: any; prevHash: string; hash: string }
export interface ProblemBody {
  type: string; title: string; status: number; detail: string;
  errors: { path?: string; line?: number; message: string }[];
}

interface Route<B, T> { body: B; reply: T }
/** A route the table does not name: any body, any answer. */
type Loose = Route<unknown, any>;
type NoBody<T> = Route<undefined, T>;
type Path<U extends string> = U extends `${infer P}?${string}` ? P : U;
/** T when every segment is one path segment (ids and item codes hold no slash), else Loose. */
type Seg<S extends string, T> = S extends `${string}/${string}` ? Loose : T;
type Seg2<A extends string, B extends string, T> = Seg<A, Seg<B, T>>;
type RoundAction = 'publish' | 'start-bidding' | 'award' | 'close' | 'cancel';

type PostRoute<P extends string> =
  P extends '/v1/organizations' ? Route<OrganizationInput, Organization>
  : P extends `/v1/organizations/${infer I}/tokens` ? Seg<I, Route<Static<typeof TokenInput>, Static<typeof TokenCreated>>>
  : P extends `/v1/organizations/${infer I}/suspensions` ? Seg<I, Route<SuspensionInput, Static<typeof Suspension>>>
  : P extends '/v1/products' ? Route<ProductInput, Product>
  : P extends `/v1/products/${infer I}/verify` ? Seg<I, NoBody<Product>>
  : P extends '/v1/rounds' ? Route<RoundBody, RoundView>
  : P extends `/v1/rounds/${infer I}/items` ? Seg<I, Route<ItemInput, Item>>
  : P extends `/v1/rounds/${infer I}/open` ? Seg<I, NoBody<Results>>
  : P extends `/v1/rounds/${infer I}/${RoundAction}` ? Seg<I, NoBody<RoundView>>
  : Loose;
type PutRoute<P extends string> =
  P extends `/v1/rounds/${infer I}/demand/${infer C}` ? Seg2<I, C, Route<DemandInput, Static<typeof DemandLine>>>
  : P extends `/v1/rounds/${infer I}/bids/${infer C}` ? Seg2<I, C, Route<BidBody, Static<typeof BidAccepted>>>
  : P extends `/v1/rounds/${infer I}/region-preferences/${infer C}` ? Seg2<I, C, Route<Static<typeof PreferenceInput>, Static<typeof Preference>>>
  : Loose;
type PatchRoute<P extends string> = P extends `/v1/rounds/${infer I}` ? Seg<I, Route<RoundPatchBody, RoundView>> : Loose;
type GetReply<P extends string> =
  P extends '/v1/organizations' ? Page<Organization>
  : P extends `/v1/organizations/${infer I}` ? Seg<I, Organization>
  : P extends '/v1/products' ? Page<Product>
  : P extends `/v1/products/${infer I}` ? Seg<I, Product>
  : P extends '/v1/rounds' ? Page<RoundView>
  : P extends `/v1/rounds/${infer I}/items` ? Seg<I, Page<Item>>
  : P extends `/v1/rounds/${infer I}/demand` ? Seg<I, Page<Static<typeof DemandLine> | Static<typeof DemandAggregate>>>
  : P extends `/v1/rounds/${infer I}/bids` ? Seg<I, Page<Static<typeof BidView>>>
  : P extends `/v1/rounds/${infer I}/results` ? Seg<I, Results>
  : P extends `/v1/rounds/${infer I}/allocations` ? Seg<I, Page<Static<typeof Allocation>>>
  : P extends `/v1/rounds/${infer I}/agreements` ? Seg<I, Page<Static<typeof Agreement>>>
  : P extends `/v1/rounds/${infer I}/audit` ? Seg<I, Page<AuditEvent>>
  : P extends `/v1/rounds/${infer I}` ? Seg<I, RoundView>
  : any;
/** Loose routes take any body (or none); routes without a body take none; the others their schema's type, or `invalid(...)`. */
type Args<R> = R extends { body: infer B }
  ? unknown extends B ? [body?: unknown, extra?: H] : [B] extends [undefined] ? [body?: undefined, extra?: H] : [body: B | Invalid, extra?: H]
  : never;
type Reply<R> = R extends { reply: infer T } ? T : never;

/** The typed client: `api.post('/v1/rounds', h, body)` checks `body` against RoundInput and types the answer as a round. */
export function api(app: FastifyInstance) {
  const loose = client(app);
  return {
    loose,
    get: <U extends string>(url: U, h: H): Promise<Res<GetReply<Path<U>>>> => loose.get(url, h),
    post: <U extends string>(url: U, h: H, ...[body, extra]: Args<PostRoute<Path<U>>>): Promise<Res<Reply<PostRoute<Path<U>>>>> =>
      loose.post(url, h, body, extra),
    put: <U extends string>(url: U, h: H, ...[body]: Args<PutRoute<Path<U>>>): Promise<Res<Reply<PutRoute<Path<U>>>>> => loose.put(url, h, body),
    patch: <U extends string>(url: U, h: H, ...[body]: Args<PatchRoute<Path<U>>>): Promise<Res<Reply<PatchRoute<Path<U>>>>> =>
      loose.patch(url, h, body),
    /** 204 without a body on success. */
    del: (url: string, h: H): Promise<Res<undefined>> => loose.del(url, h),
    raw: loose.raw,
  };
}
export type Api = ReturnType<typeof api>;

/** Creates an organization and a token for it. */
export async function org(c: Client | Api, input: OrganizationInput): Promise<{ id: string; h: H }> {
  const post = 'loose' in c ? c.loose.post : c.post;
  const o = await post('/v1/organizations', op, input);
  if (o.status !== 201) throw new Error(`org: ${o.status} ${JSON.stringify(o.body)}`);
  const t = await post(`/v1/organizations/${o.body.id}/tokens`, op, { name: 'test' });
  if (t.status !== 201) throw new Error(`token: ${t.status} ${JSON.stringify(t.body)}`);
  return { id: o.body.id, h: bearer(t.body.token) };
}

/** Asserts a problem+json answer with this status (and slug); returns its body. */
export function expectProblem(res: { status: number; body: unknown; headers: OutgoingHttpHeaders }, status: number, slug?: string): ProblemBody {
  const body = res.body as ProblemBody | undefined;
  if (res.status !== status || !String(res.headers['content-type']).startsWith('application/problem+json')
      || (slug && !String(body?.type).endsWith(`/${slug}`))) {
    throw new Error(`expected problem ${status} ${slug ?? ''}, got ${res.status} ${res.headers['content-type']} ${JSON.stringify(res.body)}`);
  }
  return body as ProblemBody;
}

/** Rows of a table, for "nothing was written" checks. */
export async function count(db: Db, table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
  return r[0].n;
}

/**
 * The high-volume tables hold integer keys only; tests read them through these
 * views with string ids (`count(db, DEMAND, 'round_id = $1', [id])`).
 */
export const DEMAND = `(SELECT r.id AS round_id, h.id AS hospital_id, i.code AS item_code, d.quantity, m.id AS preferred_manufacturer_id
  FROM demand d JOIN rounds r ON r.no = d.round_no JOIN organizations h ON h.no = d.hospital_no
  JOIN items i ON i.round_id = r.id AND i.no = d.item_no LEFT JOIN organizations m ON m.no = d.preferred_no) demand`;
export const AGREEMENTS = `(SELECT r.id AS round_id, h.id AS hospital_id, i.code AS item_code, m.id AS manufacturer_id, g.agreed_quantity,
    g.demand, g.comparable_unit_price::text AS comparable_unit_price
  FROM agreements g JOIN rounds r ON r.no = g.round_no JOIN organizations h ON h.no = g.hospital_no
  JOIN items i ON i.round_id = r.id AND i.no = g.item_no JOIN organizations m ON m.no = g.manufacturer_no) agreements`;
export const ALLOCATIONS = `(SELECT r.id AS round_id, i.code AS item_code, a.unit FROM allocations a JOIN rounds r ON r.no = a.round_no
  JOIN items i ON i.round_id = r.id AND i.no = a.item_no) allocations`;

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/postgres-js';
import { drizzle as drizzleLite } from 'drizzle-orm/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.js';

/**
 * The typed query builder over the same connection: drizzle for plain reads
 * and writes, typed from src/db/schema.ts. Set-based statements stay SQL
 * (`query<Row>`), with the row type written where they are read.
 */
export type Orm = PgDatabase<PgQueryResultHKT, typeof schema>;

/** What a service needs of a connection: parameterised SQL, COPY … FROM STDIN and the query builder. */
export interface Queryable {
  /** One statement; T is the shape of its rows (timestamps arrive as Date, numeric and bigint as string). */
  query<T extends object>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs `COPY … FROM STDIN` fed by `source`, a stream of text chunks in the COPY format. */
  copyFrom(copySql: string, source: AsyncIterable<string | Buffer>): Promise<void>;
  readonly orm: Orm;
}

/** A connection inside a transaction. */
export interface Tx extends Queryable {
  /**
   * Runs `fn` inside a savepoint: if it throws, its writes are undone and the
   * transaction goes on (postgres.js fails a whole transaction on any failed
   * query unless the query ran inside its savepoint).
   */
  savepoint<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * The rows of one read in batches of about `batch`, without holding them all: a server-side cursor on PostgreSQL
   * (report output at national scale); PGlite, which serves small embedded installations, reads them at once.
   */
  cursor<T extends object>(text: string, params: readonly unknown[], batch: number): AsyncIterable<T[]>;
  close(): Promise<void>;
  /** The driver's own client (migrations, LISTEN): postgres.js Sql or PGlite. */
  readonly driver: { kind: 'postgres'; sql: postgres.Sql } | { kind: 'pglite'; pg: PGlite };
}

/** An array parameter as a PostgreSQL array literal, so both drivers send it the same way. */
function arrayLiteral(values: readonly unknown[]): string {
  return '{' + values.map((v) => (v === null || v === undefined ? 'NULL'
    : '"' + String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"')).join(',') + '}';
}

type Param = string | number | boolean | null;

/** Dates travel as ISO strings and arrays as literals: the server reads them by the parameter's type. */
const toParams = (params: readonly unknown[]): Param[] => params.map((p) =>
  p === undefined ? null : p instanceof Date ? p.toISOString() : Array.isArray(p) ? arrayLiteral(p)
    : typeof p === 'bigint' ? p.toString() : (p as Param));

type PgConn = postgres.Sql | postgres.TransactionSql;

/**
 * drizzle's postgres.js driver replaces the client's timestamp parsers with
 * pass-through ones; it gets a client of its own options so that raw queries
 * keep postgres.js's parsing (timestamps as Date in both modes).
 */
export function ormOver(conn: PgConn): Orm {
  const options = (conn as postgres.Sql).options;
  const facade = Object.assign(Object.create(conn) as PgConn, { options: { ...options, parsers: {}, serializers: {} } });
  return drizzlePg(facade as postgres.Sql, { schema });
}

function pgQueryable(conn: PgConn): Queryable {
  let orm: Orm | undefined;
  return {
    query: <T extends object>(text: string, params: readonly unknown[] = []) =>
      conn.unsafe(text, toParams(params), { prepare: true }) as unknown as Promise<T[]>,
    copyFrom: (copySql, source) => copyPostgres(conn, copySql, source),
    get orm() { return (orm ??= ormOver(conn)); },
  };
}

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  private readonly base: Queryable;
  readonly driver;
  constructor(readonly sql: postgres.Sql) {
    this.base = pgQueryable(sql);
    this.driver = { kind: 'postgres' as const, sql };
  }
  query<T extends object>(text: string, params: readonly unknown[] = []): Promise<T[]> { return this.base.query<T>(text, params); }
  copyFrom(copySql: string, source: AsyncIterable<string | Buffer>): Promise<void> { return this.base.copyFrom(copySql, source); }
  get orm(): Orm { return this.base.orm; }
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.sql.begin((tx) => fn({
      ...pgQueryable(tx),
      savepoint: <S>(inner: (sp: Queryable) => Promise<S>) => tx.savepoint((sp) => inner(pgQueryable(sp))) as Promise<S>,
    })) as Promise<T>;
  }
  async *cursor<T extends object>(text: string, params: readonly unknown[], batch: number): AsyncIterable<T[]> {
    for await (const rows of this.sql.unsafe(text, toParams(params), { prepare: true }).cursor(batch)) yield rows as unknown as T[];
  }
  close(): Promise<void> { return this.sql.end({ timeout: 5 }); }
}

async function copyPostgres(sql: PgConn, copySql: string, source: AsyncIterable<string | Buffer>) {
  const writable = await sql.unsafe(copySql).writable();
  await pipeline(Readable.from(source), writable);
}

type LiteConn = Pick<PGlite, 'query'>;

/** int8 and numeric as strings, as postgres.js gives them: money and big counts never pass through a float. */
const LITE_PARSERS = { [pgliteTypes.INT8]: (v: string) => v, [pgliteTypes.NUMERIC]: (v: string) => v };

function liteQueryable(conn: LiteConn, orm: Orm): Queryable {
  return {
    query: async <T extends object>(text: string, params: readonly unknown[] = []) =>
      (await conn.query<T>(text, toParams(params), { parsers: LITE_PARSERS })).rows,
    copyFrom: (copySql, source) => copyPglite(conn, copySql, source),
    orm,
  };
}

/** PGlite runs in this process: one connection, transactions serialised by PGlite itself. */
class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  private readonly base: Queryable;
  readonly driver;
  constructor(readonly pg: PGlite) {
    this.base = liteQueryable(pg, drizzleLite(pg, { schema }));
    this.driver = { kind: 'pglite' as const, pg };
  }
  query<T extends object>(text: string, params: readonly unknown[] = []): Promise<T[]> { return this.base.query<T>(text, params); }
  copyFrom(copySql: string, source: AsyncIterable<string | Buffer>): Promise<void> { return this.base.copyFrom(copySql, source); }
  get orm(): Orm { return this.base.orm; }
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.pg.transaction((tx) => {
      // drizzle's PGlite driver only calls query() on its client, which a PGlite transaction has.
      const q = liteQueryable(tx, drizzleLite(tx as unknown as PGlite, { schema }));
      let savepoints = 0;
      return fn({
        ...q,
        savepoint: async (inner) => {
          const name = `sp_${++savepoints}`;
          await tx.query(`SAVEPOINT ${name}`);
          try {
            const result = await inner(q);
            await tx.query(`RELEASE SAVEPOINT ${name}`);
            return result;
          } catch (err) {
            await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
            throw err;
          }
        },
      });
    });
  }
  /**
   * A WITH HOLD cursor: declared outside a transaction, its rows are kept by the database (spilling to its
   * temporary files), and each FETCH is a statement of its own, so other requests run between batches.
   */
  async *cursor<T extends object>(text: string, params: readonly unknown[], batch: number): AsyncIterable<T[]> {
    const name = `jicai_cursor_${++this.cursors}`;
    await this.query(`DECLARE ${name} NO SCROLL CURSOR WITH HOLD FOR ${text}`, params);
    try {
      for (;;) {
        const rows = await this.query<T>(`FETCH FORWARD ${Math.max(1, Math.floor(batch))} FROM ${name}`, []);
        if (rows.length === 0) return;
        yield rows;
        if (rows.length < batch) return;
      }
    } finally {
      await this.query(`CLOSE ${name}`, []);
    }
  }
  private cursors = 0;
  close(): Promise<void> { return this.pg.close(); }
}

/** PGlite reads COPY input from a Blob: the embedded mode buffers one upload (it serves small installations). */
async function copyPglite(pg: LiteConn, copySql: string, source: AsyncIterable<string | Buffer>) {
  const parts: (string | Buffer)[] = [];
  for await (const chunk of source) parts.push(chunk);
  await pg.query(copySql.replace(/FROM\s+STDIN/i, "FROM '/dev/blob'"), [], { blob: new Blob(parts as BlobPart[]) });
}

export interface DbOptions { databaseUrl: string | null; dataDir?: string | null; max?: number }

export async function createDb(opts: DbOptions): Promise<Db> {
  if (opts.databaseUrl) {
    // int8 and numeric arrive as strings (no float ever); counts are cast to int in SQL.
    const sql = postgres(opts.databaseUrl, {
      max: opts.max ?? 20,
      onnotice: () => {},
      // No JIT: the platform's statements are short or set-based scans whose plans JIT compiles for longer
      // (~150 ms per national read) than it saves.
      connection: { application_name: 'jicai', jit: 'off' },
    });
    // drizzle sends json and jsonb values already encoded: pass strings through (postgres.js would encode them again).
    const serializers = sql.options.serializers as Record<string, (x: unknown) => unknown>;
    for (const oid of ['114', '3802']) serializers[oid] = (x) => (typeof x === 'string' ? x : JSON.stringify(x));
    return new PostgresDb(sql);
  }
  const pg = opts.dataDir ? new PGlite(opts.dataDir) : new PGlite();
  await pg.waitReady;
  return new PgliteDb(pg);
}

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';

export type Row = Record<string, any>;

/** What a service needs of a connection: parameterised SQL and COPY … FROM STDIN. */
export interface Queryable {
  query<T = Row>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `COPY … FROM STDIN` fed by `source`, a stream of text chunks in the COPY format. */
  copyFrom(copySql: string, source: AsyncIterable<string | Buffer>): Promise<void>;
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
  close(): Promise<void>;
}

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  constructor(readonly sql: postgres.Sql) {}
  query<T>(text: string, params: unknown[] = []): Promise<T[]> {
    return wrap(this.sql, text, params) as unknown as Promise<T[]>;
  }
  copyFrom(copySql: string, source: AsyncIterable<string | Buffer>): Promise<void> {
    return copyPostgres(this.sql, copySql, source);
  }
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const queryable = (tx: postgres.TransactionSql): Queryable => ({
      query: (text, params = []) => wrap(tx, text, params) as any,
      copyFrom: (copySql, source) => copyPostgres(tx, copySql, source),
    });
    return this.sql.begin((tx) => fn({
      ...queryable(tx),
      savepoint: <S>(inner: (sp: Queryable) => Promise<S>) => tx.savepoint((sp) => inner(queryable(sp))) as Promise<S>,
    })) as Promise<T>;
  }
  close(): Promise<void> { return this.sql.end({ timeout: 5 }); }
}

/** An array parameter as a PostgreSQL array literal, so both drivers send it the same way. */
function arrayLiteral(values: unknown[]): string {
  return '{' + values.map((v) => (v === null || v === undefined ? 'NULL'
    : '"' + String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"')).join(',') + '}';
}

/** Dates travel as ISO strings and arrays as literals: the server reads them by the parameter's type. */
const toParams = (params: unknown[]) => params.map((p) =>
  p instanceof Date ? p.toISOString() : Array.isArray(p) ? arrayLiteral(p) : p);

function wrap(sql: postgres.Sql | postgres.TransactionSql, text: string, params: unknown[]) {
  return sql.unsafe(text, toParams(params) as any[], { prepare: true });
}

async function copyPostgres(sql: postgres.Sql | postgres.TransactionSql, copySql: string, source: AsyncIterable<string | Buffer>) {
  const writable = await sql.unsafe(copySql).writable();
  await pipeline(Readable.from(source), writable);
}

/** PGlite runs in this process: one connection, transactions serialised by PGlite itself. */
class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  constructor(readonly pg: PGlite) {}
  async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pg.query<T>(text, toParams(params))).rows;
  }
  copyFrom(copySql: string, source: AsyncIterable<string | Buffer>): Promise<void> {
    return copyPglite(this.pg, copySql, source);
  }
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.pg.transaction((tx) => {
      const q: Queryable = {
        query: async (text, params = []) => (await tx.query<any>(text, toParams(params))).rows,
        copyFrom: (copySql, source) => copyPglite(tx, copySql, source),
      };
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
  close(): Promise<void> { return this.pg.close(); }
}

/** PGlite reads COPY input from a Blob: the embedded mode buffers one upload (it serves small installations). */
async function copyPglite(pg: { query: PGlite['query'] }, copySql: string, source: AsyncIterable<string | Buffer>) {
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
      connection: { application_name: 'jicai' },
    });
    return new PostgresDb(sql);
  }
  const pg = opts.dataDir ? new PGlite(opts.dataDir) : new PGlite();
  await pg.waitReady;
  return new PgliteDb(pg);
}

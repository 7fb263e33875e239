import { Type } from '@sinclair/typebox';
import { validation } from './problem.js';

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
};

export const pageOf = <T extends import('@sinclair/typebox').TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export interface Page<T> { data: T[]; nextCursor: string | null }

/** Opaque cursors: the sort key of the last row of the previous page. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, arity: number): unknown[] | null {
  if (!cursor) return null;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === arity) return key;
  } catch { /* fall through */ }
  throw validation('The cursor is not one this server issued', [{ path: '/cursor', message: 'invalid cursor' }]);
}

/** Rows were fetched with LIMIT limit+1: the extra row tells whether a next page exists. */
export function toPage<R, T>(rows: R[], limit: number, key: (r: R) => unknown[], map: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const data = (more ? rows.slice(0, limit) : rows);
  return { data: data.map(map), nextCursor: more ? encodeCursor(key(data[data.length - 1])) : null };
}

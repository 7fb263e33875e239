import { PGlite } from '@electric-sql/pglite';
const pg = new PGlite();
console.log((await pg.query("select 1.5::numeric a, 9007199254740993::int8 b, now() c, 3::int d")).rows);
console.log((await pg.query("select 1.5::numeric a, 9007199254740993::int8 b, now() c", [], { parsers: { 1700: (v) => v, 20: (v) => v } })).rows);

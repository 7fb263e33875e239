import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { isUnavailable, toProblem } from '../../src/http/errors.js';
import { startupFailure } from '../../src/startup.js';

describe('isUnavailable: a database that cannot be reached', () => {
  it('knows the driver error inside the query builder error (drizzle puts it in cause)', () => {
    const driver = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const wrapped = new Error('Failed query: select 1', { cause: driver });
    expect(isUnavailable(driver)).toBe(true);
    expect(isUnavailable(wrapped)).toBe(true);
    expect(toProblem(wrapped)).toMatchObject({ status: 503, slug: 'unavailable' });
    expect(isUnavailable(new Error('Failed query', { cause: Object.assign(new Error('terminating connection'), { code: '57P01' }) }))).toBe(true);
    expect(isUnavailable(new Error('Failed query', { cause: Object.assign(new Error('duplicate key'), { code: '23505' }) }))).toBe(false);
    expect(isUnavailable(new Error('plain'))).toBe(false);
  });
});

describe('startupFailure: one line for an operator', () => {
  const env = { DATABASE_URL: 'postgres://jicai:pa55word@db.internal:6543/jicai', JICAI_MASTER_KEY: 'master-key-0123456789' };
  it('names a configuration error as such', () => {
    expect(startupFailure('jicai', new ConfigError('JICAI_BID_KEK is required when DATABASE_URL is set'), env))
      .toBe('jicai: configuration error: JICAI_BID_KEK is required when DATABASE_URL is set');
  });
  it('names where the unreachable database is, without its password', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6543 pa55word'), { code: 'ECONNREFUSED' });
    const line = startupFailure('jicai worker', err, env);
    expect(line).toBe('jicai worker: cannot reach the database at db.internal:6543/jicai: ECONNREFUSED connect ECONNREFUSED 10.0.0.5:6543 ***');
    expect(line).not.toContain('\n');
  });
  it('names a refused login or a missing database', () => {
    const err = Object.assign(new Error('password authentication failed for user "jicai"'), { code: '28P01' });
    expect(startupFailure('jicai', err, env)).toBe('jicai: the database at db.internal:6543/jicai refused the connection: password authentication failed for user "jicai"');
  });
  it('keeps only the first line of anything else', () => {
    expect(startupFailure('jicai', new Error('boom\n    at x.ts:1'), env)).toBe('jicai: failed to start: boom');
  });
});

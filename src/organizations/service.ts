import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import { appendEvent, PLATFORM_CHAIN } from '../audit/service.js';
import { hashToken } from '../http/auth.js';
import { LineErrors, copyLine, copyStream, readBulk } from '../http/bulk.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { invalidInput, notFound, unprocessable } from '../http/problem.js';
import { newId } from '../ids.js';
import { regionCodeProblem } from '../rules/regions.js';
import type { Organization, OrganizationInput } from './schemas.js';

const COLUMNS = 'id, kind, name, region_code, region_codes, external_id, created_at';

export const toOrganization = (r: any): Organization => ({
  id: r.id, kind: r.kind, name: r.name, regionCode: r.region_code,
  regionCodes: r.region_codes ?? null, externalId: r.external_id ?? null, createdAt: new Date(r.created_at).toISOString(),
});

/** Domain checks beyond the JSON schema; returns the messages, keyed by field. */
export function organizationProblems(o: { kind?: unknown; regionCode?: unknown; regionCodes?: unknown }): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const rp = regionCodeProblem(o.regionCode);
  if (rp) out.push({ path: '/regionCode', message: rp });
  if (o.kind === 'alliance') {
    if (!Array.isArray(o.regionCodes) || o.regionCodes.length === 0) out.push({ path: '/regionCodes', message: 'an alliance lists its regions' });
    else o.regionCodes.forEach((c, i) => { const p = regionCodeProblem(c); if (p) out.push({ path: `/regionCodes/${i}`, message: p }); });
  } else if (o.regionCodes !== undefined && o.regionCodes !== null) {
    out.push({ path: '/regionCodes', message: 'only alliances have regionCodes' });
  }
  return out;
}

export async function createOrganization(ctx: AppContext, p: Principal, input: OrganizationInput): Promise<Organization> {
  const problems = organizationProblems(input);
  if (problems.length) throw invalidInput('The organization is invalid', problems);
  return ctx.db.transaction(async (tx) => {
    if (input.externalId) {
      const dup = await tx.query('SELECT 1 FROM organizations WHERE external_id = $1', [input.externalId]);
      if (dup.length) throw unprocessable('validation', 'Duplicate externalId', `externalId ${input.externalId} is taken`, [{ path: '/externalId', message: 'already used' }]);
    }
    const rows = await tx.query(
      `INSERT INTO organizations (id, kind, name, region_code, region_codes, external_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [newId('org'), input.kind, input.name, input.regionCode, input.kind === 'alliance' ? input.regionCodes : null, input.externalId ?? null,
        ctx.clock.now()]);
    const org = toOrganization(rows[0]);
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'organization.created', actor: actorOf(p), at: ctx.clock.now(), data: { id: org.id, kind: org.kind, name: org.name, regionCode: org.regionCode } });
    return org;
  });
}

const KINDS = new Set(['alliance', 'hospital', 'manufacturer']);

/** Parses one bulk record to the staging row, or says why it cannot. */
function stageOrganization(r: Record<string, unknown>, line: number): string | { error: string } {
  const kind = r.kind, name = r.name;
  let codes = r.regionCodes;
  if (typeof codes === 'string') codes = codes.split(/[;|\s]+/).filter(Boolean);
  if (typeof kind !== 'string' || !KINDS.has(kind)) return { error: 'kind must be alliance, hospital or manufacturer' };
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) return { error: 'name must be 1 to 200 characters' };
  const ext = r.externalId === undefined || r.externalId === null ? null : String(r.externalId);
  if (ext !== null && (ext.length === 0 || ext.length > 100)) return { error: 'externalId must be 1 to 100 characters' };
  const problems = organizationProblems({ kind, regionCode: r.regionCode, regionCodes: codes });
  if (problems.length) return { error: problems.map((x) => `${x.path.slice(1)}: ${x.message}`).join('; ') };
  for (const k of Object.keys(r)) if (!['kind', 'name', 'regionCode', 'regionCodes', 'externalId'].includes(k)) return { error: `unknown field ${k}` };
  const arr = kind === 'alliance' ? `{${(codes as string[]).join(',')}}` : null;
  return copyLine([line, newId('org'), kind, name, r.regionCode as string, arr, ext]);
}

/** All-or-nothing: COPY into a staging table, checked and inserted by set-based SQL. */
export async function bulkCreateOrganizations(ctx: AppContext, p: Principal, body: { stream: Readable; format: 'csv' | 'ndjson' }) {
  const errors = new LineErrors();
  const state = { malformed: false, rows: 0 };
  return ctx.db.transaction(async (tx) => {
    await tx.query(`CREATE TEMP TABLE org_stage (line int, id text, kind text, name text, region_code text,
      region_codes text[], external_id text) ON COMMIT DROP`);
    await tx.copyFrom('COPY org_stage FROM STDIN',
      copyStream(readBulk(body.stream, body.format), errors, state, (it) => stageOrganization(it.record, it.line)));
    const dups = await tx.query<{ line: number; message: string }>(
      `SELECT s.line, 'externalId ' || s.external_id || ' repeats line ' || f.first AS message
         FROM org_stage s JOIN (SELECT external_id, min(line) AS first FROM org_stage
                                 WHERE external_id IS NOT NULL GROUP BY external_id HAVING count(*) > 1) f
           ON f.external_id = s.external_id AND s.line <> f.first
       UNION ALL
       SELECT s.line, 'externalId ' || s.external_id || ' is taken' FROM org_stage s
         JOIN organizations o ON o.external_id = s.external_id
       ORDER BY 1 LIMIT 100`);
    errors.addAll(dups);
    if (errors.any) throw errors.problem(state.malformed);
    if (state.rows === 0) throw invalidInput('The upload has no records');
    const ins = await tx.query<{ n: number }>(
      `WITH ins AS (INSERT INTO organizations (id, kind, name, region_code, region_codes, external_id, created_at)
                    SELECT id, kind, name, region_code, region_codes, external_id, $1 FROM org_stage ORDER BY line RETURNING 1)
       SELECT count(*)::int AS n FROM ins`, [ctx.clock.now()]);
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'organizations.bulk_created', actor: actorOf(p), at: ctx.clock.now(), data: { created: ins[0].n } });
    return { created: ins[0].n };
  });
}

export async function listOrganizations(ctx: AppContext, p: Principal, q: { limit?: number; cursor?: string; kind?: string; externalId?: string }) {
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 1);
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (cond: string, v: unknown) => { params.push(v); where.push(cond.replace('?', `$${params.length}`)); };
  if (p.role !== 'operator') add('id = ?', p.orgId);
  if (q.kind) add('kind = ?', q.kind);
  if (q.externalId) add('external_id = ?', q.externalId);
  if (after) add('id > ?', after[0]);
  params.push(limit + 1);
  const rows = await ctx.db.query(
    `SELECT ${COLUMNS} FROM organizations ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id LIMIT $${params.length}`, params);
  return toPage(rows, limit, (r: any) => [r.id], toOrganization);
}

export async function getOrganization(ctx: AppContext, p: Principal, id: string): Promise<Organization> {
  if (p.role !== 'operator' && p.orgId !== id) throw notFound('Organization');
  const rows = await ctx.db.query(`SELECT ${COLUMNS} FROM organizations WHERE id = $1`, [id]);
  if (!rows.length) throw notFound('Organization');
  return toOrganization(rows[0]);
}

export async function createToken(ctx: AppContext, p: Principal, orgId: string, name: string) {
  await getOrganization(ctx, p, orgId);
  const token = 'jk_' + randomBytes(24).toString('base64url');
  return ctx.db.transaction(async (tx) => {
    const rows = await tx.query<{ id: string; created_at: Date }>(
      'INSERT INTO tokens (id, organization_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at',
      [newId('tok'), orgId, name, hashToken(token), ctx.clock.now()]);
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'token.created', actor: actorOf(p), at: ctx.clock.now(), data: { id: rows[0].id, organizationId: orgId, name } });
    return { id: rows[0].id, organizationId: orgId, name, token, createdAt: new Date(rows[0].created_at).toISOString() };
  });
}

export async function revokeToken(ctx: AppContext, p: Principal, tokenId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const rows = await tx.query<{ organization_id: string; revoked_at: Date | null }>(
      'SELECT organization_id, revoked_at FROM tokens WHERE id = $1 FOR UPDATE', [tokenId]);
    if (!rows.length || (p.role !== 'operator' && rows[0].organization_id !== p.orgId)) throw notFound('Token');
    if (rows[0].revoked_at) return; // revoking twice is a no-op
    await tx.query('UPDATE tokens SET revoked_at = $2 WHERE id = $1', [tokenId, ctx.clock.now()]);
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'token.revoked', actor: actorOf(p), at: ctx.clock.now(), data: { id: tokenId, organizationId: rows[0].organization_id } });
  });
}

export async function createSuspension(ctx: AppContext, p: Principal, orgId: string, input: { from: string; until: string | null; reason: string }) {
  await getOrganization(ctx, p, orgId);
  const from = new Date(input.from);
  const until = input.until === null ? null : new Date(input.until);
  if (until && until <= from) throw invalidInput('until must be after from', [{ path: '/until', message: 'must be after from' }]);
  return ctx.db.transaction(async (tx) => {
    const rows = await tx.query<any>(
      `INSERT INTO suspensions (id, organization_id, "from", until, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, organization_id, "from", until, reason, created_at`, [newId('sus'), orgId, from, until, input.reason, ctx.clock.now()]);
    const r = rows[0];
    const out = {
      id: r.id, organizationId: r.organization_id, from: new Date(r.from).toISOString(),
      until: r.until ? new Date(r.until).toISOString() : null, reason: r.reason, createdAt: new Date(r.created_at).toISOString(),
    };
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'suspension.created', actor: actorOf(p), at: ctx.clock.now(), data: { id: out.id, organizationId: orgId, from: out.from, until: out.until, reason: out.reason } });
    return out;
  });
}


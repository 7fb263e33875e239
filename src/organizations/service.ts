import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt, isNull, type SQL } from 'drizzle-orm';
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import type { Queryable } from '../db/client.js';
import { organizations, suspensions, tokens } from '../db/schema.js';
import { appendEvent, PLATFORM_CHAIN } from '../audit/service.js';
import { hashToken } from '../http/auth.js';
import { LineErrors, copyLine, copyStream, readBulkBatches, type BulkBody } from '../http/bulk.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { invalidInput, notFound, unprocessable } from '../http/problem.js';
import { newId } from '../ids.js';
import { regionCodeProblem } from '../rules/regions.js';
import { toOrganization, toSuspension } from './mapper.js';
import type { Organization, OrganizationInput, OrganizationQuery, SuspensionInput } from './schemas.js';

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
      const dup = await tx.orm.select({ id: organizations.id }).from(organizations).where(eq(organizations.externalId, input.externalId));
      if (dup.length) throw unprocessable('validation', 'Duplicate externalId', `externalId ${input.externalId} is taken`, [{ path: '/externalId', message: 'already used' }]);
    }
    const [row] = await tx.orm.insert(organizations).values({
      id: newId('org'), kind: input.kind, name: input.name, regionCode: input.regionCode,
      regionCodes: input.kind === 'alliance' ? input.regionCodes : null, externalId: input.externalId ?? null, createdAt: ctx.clock.now(),
    }).returning();
    const org = toOrganization(row);
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'organization.created', actor: actorOf(p), at: ctx.clock.now(), data: { id: org.id, kind: org.kind, name: org.name, regionCode: org.regionCode } });
    return org;
  });
}

const KINDS = new Set(['alliance', 'hospital', 'manufacturer']);
const BULK_FIELDS = ['kind', 'name', 'regionCode', 'regionCodes', 'externalId'];

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
  const arr = kind === 'alliance' ? `{${(codes as string[]).join(',')}}` : null;
  return copyLine([line, newId('org'), kind, name, r.regionCode as string, arr, ext]);
}

/** All-or-nothing: COPY into a staging table, checked and inserted by set-based SQL. */
export async function bulkCreateOrganizations(ctx: AppContext, p: Principal, body: BulkBody) {
  const errors = new LineErrors();
  const counter = { rows: 0 };
  return ctx.db.transaction(async (tx) => {
    await tx.query(`CREATE TEMP TABLE org_stage (line int, id text, kind text, name text, region_code text,
      region_codes text[], external_id text) ON COMMIT DROP`);
    await tx.copyFrom('COPY org_stage FROM STDIN',
      copyStream(readBulkBatches(body, BULK_FIELDS), errors, counter, (it) => stageOrganization(it.record, it.line), ctx.config.maxUploadRows));
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
    if (errors.any) throw errors.problem();
    if (counter.rows === 0) throw invalidInput('The upload has no records');
    const ins = await tx.query<{ n: number }>(
      `WITH ins AS (INSERT INTO organizations (id, kind, name, region_code, region_codes, external_id, created_at)
                    SELECT id, kind, name, region_code, region_codes, external_id, $1 FROM org_stage ORDER BY line RETURNING 1)
       SELECT count(*)::int AS n FROM ins`, [ctx.clock.now()]);
    await tx.query('ANALYZE organizations');
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'organizations.bulk_created', actor: actorOf(p), at: ctx.clock.now(), data: { created: ins[0].n } });
    return { created: ins[0].n };
  });
}

export async function listOrganizations(ctx: AppContext, p: Principal, q: OrganizationQuery) {
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 1);
  const where: SQL[] = [];
  if (p.role !== 'operator') where.push(eq(organizations.id, p.orgId!));
  if (q.kind) where.push(eq(organizations.kind, q.kind));
  if (q.externalId) where.push(eq(organizations.externalId, q.externalId));
  if (after) where.push(gt(organizations.id, String(after[0])));
  const rows = await ctx.db.orm.select().from(organizations).where(and(...where)).orderBy(asc(organizations.id)).limit(limit + 1);
  return toPage(rows, limit, (r) => [r.id], toOrganization);
}

/** The organization if the caller may see it (the operator: any; others: themselves), else 404. */
export async function getOrganization(db: Queryable, p: Principal, id: string): Promise<Organization> {
  if (p.role !== 'operator' && p.orgId !== id) throw notFound('Organization');
  const [row] = await db.orm.select().from(organizations).where(eq(organizations.id, id));
  if (!row) throw notFound('Organization');
  return toOrganization(row);
}

export async function createToken(ctx: AppContext, p: Principal, orgId: string, name: string) {
  await getOrganization(ctx.db, p, orgId);
  const token = 'jk_' + randomBytes(24).toString('base64url');
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const [row] = await tx.orm.insert(tokens).values({ id: newId('tok'), organizationId: orgId, name, tokenHash: hashToken(token), createdAt: now })
      .returning({ id: tokens.id, createdAt: tokens.createdAt });
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'token.created', actor: actorOf(p), at: now, data: { id: row.id, organizationId: orgId, name } });
    return { id: row.id, organizationId: orgId, name, token, createdAt: row.createdAt.toISOString() };
  });
}

export async function revokeToken(ctx: AppContext, p: Principal, tokenId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const [row] = await tx.orm.select({ organizationId: tokens.organizationId, revokedAt: tokens.revokedAt }).from(tokens)
      .where(eq(tokens.id, tokenId)).for('update');
    if (!row || (p.role !== 'operator' && row.organizationId !== p.orgId)) throw notFound('Token');
    if (row.revokedAt) return; // revoking twice is a no-op
    const now = ctx.clock.now();
    await tx.orm.update(tokens).set({ revokedAt: now }).where(and(eq(tokens.id, tokenId), isNull(tokens.revokedAt)));
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'token.revoked', actor: actorOf(p), at: now, data: { id: tokenId, organizationId: row.organizationId } });
  });
}

export async function createSuspension(ctx: AppContext, p: Principal, orgId: string, input: SuspensionInput) {
  await getOrganization(ctx.db, p, orgId);
  const from = new Date(input.from);
  const until = input.until === null ? null : new Date(input.until);
  if (until && until <= from) throw invalidInput('until must be after from', [{ path: '/until', message: 'must be after from' }]);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const [row] = await tx.orm.insert(suspensions).values({ id: newId('sus'), organizationId: orgId, from, until, reason: input.reason, createdAt: now }).returning();
    const out = toSuspension(row);
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'suspension.created', actor: actorOf(p), at: now, data: { id: out.id, organizationId: orgId, from: out.from, until: out.until, reason: out.reason } });
    return out;
  });
}

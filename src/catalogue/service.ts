import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import type { Queryable } from '../db/client.js';
import { products } from '../db/schema.js';
import { appendEvent, PLATFORM_CHAIN } from '../audit/service.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { invalidInput, notFound } from '../http/problem.js';
import { newId } from '../ids.js';
import { normalizeUnit } from '../rules/strength.js';
import { toProduct } from './mapper.js';
import { DRUG_TIERS, type Product, type ProductInput, type ProductQuery } from './schemas.js';

/** A drug has a strength in a known unit and a drug quality tier; a consumable has no strength. */
export function productProblems(input: ProductInput): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (input.category === 'drug') {
    if (!input.strength) out.push({ path: '/strength', message: 'a drug has a strength {value, unit}' });
    else {
      if (!normalizeUnit(input.strength.unit)) out.push({ path: '/strength/unit', message: 'unit must be one of g mg µg mcg ug l ml IU U' });
      if (!/[1-9]/.test(input.strength.value)) out.push({ path: '/strength/value', message: 'strength must be above 0' });
    }
    if (!DRUG_TIERS.includes(input.qualityTier)) out.push({ path: '/qualityTier', message: `a drug's tier is one of ${DRUG_TIERS.join(', ')}` });
  } else if (input.strength) {
    out.push({ path: '/strength', message: 'consumables have no strength' });
  }
  return out;
}

export async function createProduct(ctx: AppContext, p: Principal, input: ProductInput): Promise<Product> {
  const problems = productProblems(input);
  if (problems.length) throw invalidInput('The product is invalid', problems);
  const [row] = await ctx.db.orm.insert(products).values({
    id: newId('prd'), manufacturerId: p.orgId!, genericName: input.genericName.trim(), dosageForm: input.dosageForm.trim(),
    category: input.category, strengthValue: input.strength?.value ?? null,
    strengthUnit: input.strength ? normalizeUnit(input.strength.unit)!.canonical : null,
    packSize: input.packSize, approvalNumber: input.approvalNumber, qualityTier: input.qualityTier, createdAt: ctx.clock.now(),
  }).returning();
  return toProduct(row);
}

export async function getProduct(db: Queryable, id: string): Promise<Product> {
  const [row] = await db.orm.select().from(products).where(eq(products.id, id));
  if (!row) throw notFound('Product');
  return toProduct(row);
}

/** Verification is global: the operator or any alliance verifies a product once. */
export async function verifyProduct(ctx: AppContext, p: Principal, id: string): Promise<Product> {
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const [row] = await tx.orm.update(products).set({ verified: true, verifiedAt: now, verifiedBy: actorOf(p) })
      .where(and(eq(products.id, id), eq(products.verified, false))).returning();
    if (!row) return getProduct(tx, id);
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'product.verified', actor: actorOf(p), at: now, data: { id } });
    return toProduct(row);
  });
}

export async function listProducts(ctx: AppContext, q: ProductQuery) {
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 1);
  const where: SQL[] = [];
  if (q.manufacturerId) where.push(eq(products.manufacturerId, q.manufacturerId));
  if (q.genericName) where.push(sql`lower(${products.genericName}) = lower(${q.genericName.trim()})`);
  if (q.verified !== undefined) where.push(eq(products.verified, q.verified));
  if (after) where.push(gt(products.id, String(after[0])));
  const rows = await ctx.db.orm.select().from(products).where(and(...where)).orderBy(asc(products.id)).limit(limit + 1);
  return toPage(rows, limit, (r) => [r.id], toProduct);
}

import type { AppContext, Principal } from '../context.js';
import { actorOf } from '../context.js';
import { appendEvent, PLATFORM_CHAIN } from '../audit/service.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { invalidInput, notFound } from '../http/problem.js';
import { newId } from '../ids.js';
import { normalizeUnit } from '../rules/strength.js';
import { DRUG_TIERS, type Product, type ProductInput } from './schemas.js';

const COLUMNS = `id, manufacturer_id, generic_name, dosage_form, category, strength_value::text AS strength_value, strength_unit,
  pack_size, approval_number, quality_tier, verified, verified_at, created_at`;

export const toProduct = (r: any): Product => ({
  id: r.id, manufacturerId: r.manufacturer_id, genericName: r.generic_name, dosageForm: r.dosage_form, category: r.category,
  strength: r.strength_value === null ? null : { value: r.strength_value, unit: r.strength_unit },
  packSize: r.pack_size, approvalNumber: r.approval_number, qualityTier: r.quality_tier, verified: r.verified,
  verifiedAt: r.verified_at ? new Date(r.verified_at).toISOString() : null, createdAt: new Date(r.created_at).toISOString(),
});

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
  const unit = input.strength ? normalizeUnit(input.strength.unit)!.canonical : null;
  const rows = await ctx.db.query(
    `INSERT INTO products (id, manufacturer_id, generic_name, dosage_form, category, strength_value, strength_unit,
       pack_size, approval_number, quality_tier, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
    [newId('prd'), p.orgId, input.genericName.trim(), input.dosageForm.trim(), input.category, input.strength?.value ?? null,
      unit, input.packSize, input.approvalNumber, input.qualityTier, ctx.clock.now()]);
  return toProduct(rows[0]);
}

export async function getProduct(ctx: AppContext, id: string): Promise<Product> {
  const rows = await ctx.db.query(`SELECT ${COLUMNS} FROM products WHERE id = $1`, [id]);
  if (!rows.length) throw notFound('Product');
  return toProduct(rows[0]);
}

/** Verification is global: the operator or any alliance verifies a product once. */
export async function verifyProduct(ctx: AppContext, p: Principal, id: string): Promise<Product> {
  return ctx.db.transaction(async (tx) => {
    const rows = await tx.query(
      `UPDATE products SET verified = true, verified_at = $2, verified_by = $3 WHERE id = $1 AND NOT verified RETURNING ${COLUMNS}`,
      [id, ctx.clock.now(), actorOf(p)]);
    if (!rows.length) return getProduct({ ...ctx, db: tx as any }, id);
    await appendEvent(tx, PLATFORM_CHAIN, { type: 'product.verified', actor: actorOf(p), at: ctx.clock.now(), data: { id } });
    return toProduct(rows[0]);
  });
}

export async function listProducts(ctx: AppContext, q: { limit?: number; cursor?: string; manufacturerId?: string; genericName?: string; verified?: boolean }) {
  const limit = q.limit ?? 100;
  const after = decodeCursor(q.cursor, 1);
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (cond: string, v: unknown) => { params.push(v); where.push(cond.replaceAll('?', `$${params.length}`)); };
  if (q.manufacturerId) add('manufacturer_id = ?', q.manufacturerId);
  if (q.genericName) add('lower(generic_name) = lower(?)', q.genericName.trim());
  if (q.verified !== undefined) add('verified = ?', q.verified);
  if (after) add('id > ?', after[0]);
  params.push(limit + 1);
  const rows = await ctx.db.query(
    `SELECT ${COLUMNS} FROM products ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id LIMIT $${params.length}`, params);
  return toPage(rows, limit, (r: any) => [r.id], toProduct);
}

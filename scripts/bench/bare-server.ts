/**
 * Baseline for the bid benchmark: a bare Fastify route doing one INSERT on the
 * same PostgreSQL, started as its own process like the API.
 */
import Fastify from 'fastify';
import postgres from 'postgres';

const sql = postgres(process.env.DATABASE_URL!, { max: 20, onnotice: () => {} });
await sql`CREATE TABLE IF NOT EXISTS bare_bids (id bigserial PRIMARY KEY, item_code text, manufacturer text, product_id text, package_price numeric, at timestamptz)`;
const app = Fastify({ logger: false });
app.get('/health', async () => ({ ok: true }));
app.put('/bare/:itemCode', async (req) => {
  const body = req.body as { productId: string; packagePrice: string };
  const [row] = await sql`INSERT INTO bare_bids (item_code, manufacturer, product_id, package_price, at)
    VALUES (${(req.params as { itemCode: string }).itemCode}, ${String(req.headers.authorization)}, ${body.productId}, ${body.packagePrice}, now()) RETURNING id`;
  return { id: row.id };
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => process.exit(0)); // lets --cpu-prof write its profile

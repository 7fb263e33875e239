import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { roles, who } from '../http/auth.js';
import { PageQuery, pageOf } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { Product, ProductInput } from './schemas.js';
import * as svc from './service.js';

const tags = ['catalogue'];

export async function catalogueRoutes(app: FastifyInstance) {
  const ctx = app.ctx;

  app.post('/v1/products', {
    onRequest: roles('manufacturer'),
    schema: { tags, body: ProductInput, response: responses({ 201: Product }) },
  }, async (req, reply) => {
    const product = await svc.createProduct(ctx, who(req), req.body as any);
    return reply.code(201).header('location', `/v1/products/${product.id}`).send(product);
  });

  app.post('/v1/products/:id/verify', {
    onRequest: async (req) => {
      await svc.getProduct(ctx, (req.params as any).id);
      await roles('operator', 'alliance')(req);
    },
    schema: { tags, params: IdParam, response: responses({ 200: Product }) },
  }, async (req) => svc.verifyProduct(ctx, who(req), (req.params as any).id));

  app.get('/v1/products', {
    schema: {
      tags, querystring: Type.Object({
        ...PageQuery,
        manufacturerId: Type.Optional(Type.String({ maxLength: 64 })),
        genericName: Type.Optional(Type.String({ maxLength: 200 })),
        verified: Type.Optional(Type.Boolean()),
      }),
      response: responses({ 200: pageOf(Product) }),
    },
  }, async (req) => svc.listProducts(ctx, req.query as any));

  app.get('/v1/products/:id', {
    schema: { tags, params: IdParam, response: responses({ 200: Product }) },
  }, async (req) => svc.getProduct(ctx, (req.params as any).id));
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { roles, who } from '../http/auth.js';
import { pageOf } from '../http/pagination.js';
import { IdParam, responses } from '../http/schemas.js';
import { Product, ProductInput, ProductQuery } from './schemas.js';
import * as svc from './service.js';

const tags = ['catalogue'];

export const catalogueRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.post('/v1/products', {
    onRequest: roles('manufacturer'),
    schema: { tags, body: ProductInput, response: responses({ 201: Product }) },
  }, async (req, reply) => {
    const product = await svc.createProduct(ctx, who(req), req.body);
    return reply.code(201).header('location', `/v1/products/${product.id}`).send(product);
  });

  app.post('/v1/products/:id/verify', {
    // 404 for an unknown product before 403 for a role that may not verify.
    onRequest: async (req) => {
      await svc.getProduct(ctx.db, req.params.id);
      await roles('operator', 'alliance')(req);
    },
    schema: { tags, params: IdParam, response: responses({ 200: Product }) },
  }, async (req) => svc.verifyProduct(ctx, who(req), req.params.id));

  app.get('/v1/products', {
    schema: { tags, querystring: ProductQuery, response: responses({ 200: pageOf(Product) }) },
  }, async (req) => svc.listProducts(ctx, req.query));

  app.get('/v1/products/:id', {
    schema: { tags, params: IdParam, response: responses({ 200: Product }) },
  }, async (req) => svc.getProduct(ctx.db, req.params.id));
};

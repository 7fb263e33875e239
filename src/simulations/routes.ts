import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { who } from '../http/auth.js';
import { IdParam, responses } from '../http/schemas.js';
import { roundAllianceOrOperator } from '../rounds/access.js';
import { Simulation, SimulationInput } from './schemas.js';
import { simulate } from './service.js';

export const simulationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;

  app.post('/v1/rounds/:id/simulations', {
    onRequest: roundAllianceOrOperator,
    schema: {
      tags: ['simulations'], params: IdParam, body: SimulationInput, response: responses({ 200: Simulation }),
      description: "The opened round's bids under other rules (a preset plus overrides): results as GET /results with the weightedDrop the round's demand would give. Opened, awarded or closed; writes nothing but its audit event round.simulated.",
    },
  }, async (req) => simulate(ctx, who(req), req.params.id, req.body));
};

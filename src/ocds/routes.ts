import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { IdParam, responses } from '../http/schemas.js';
import { onRound, roundIdOf } from '../rounds/access.js';
import { exportableRound, ocdsPackage } from './service.js';

const tags = ['export'];

/** The package's outline; the release inside follows the OCDS 1.1 release schema. */
const ReleasePackage = Type.Object({
  uri: Type.String({ format: 'uri' }),
  version: Type.Literal('1.1'),
  publishedDate: Type.String({ format: 'date-time' }),
  publisher: Type.Object({ name: Type.String() }),
  releases: Type.Array(Type.Unknown(), { description: 'one OCDS 1.1 release: the round at its current state' }),
}, { description: 'OCDS 1.1 release package (https://standard.open-contracting.org/1.1/en/schema/release_package/)' });

const DESCRIPTION = `OCDS 1.1 release package of the round: one release, ocid \`ocds-jicai-<roundId>\`, id \`<ocid>-<state>\`, language "zh".
Tags: draft ["planning"]; demand, bidding, opened ["tender"]; awarded, closed ["tender", "award"]; cancelled ["tender", "tenderCancellation"].
tender.status: planning (draft), active (demand, bidding, opened), complete (awarded, closed), cancelled.
tender.items: quantity = total demand (reference units), unit value = maxUnitPrice. Bidders (tenderers, numberOfTenderers,
parties with role "tenderer") appear only once the round was opened; awards (one per winning manufacturer and item:
quantity = Σ agreedQuantity, unit value = comparable unit price to 4 places, value = Σ agreedQuantity × comparable unit price
to 2 places) once it is awarded, with one contract per award (awardID, period = the contract months, value = the award's
value, status active, terminated once closed) whose implementation.transactions are one per month with usage: dated the
month's first day, value = Σ amount paid for the agreements' own product, payer the alliance, payee the supplier. Hospitals are not listed: the alliance is buyer and procuring entity.
Amounts are JSON numbers, as the OCDS schema requires. Participants may read it with a token; after award anyone may,
without one (before award, no token answers 401).`;

export const ocdsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx;
  const participant = onRound();

  app.get('/v1/rounds/:id/ocds', {
    config: { public: true },
    // With a token: the usual participant visibility (404). Without: only an awarded or closed round (else 401).
    onRequest: async (req: FastifyRequest) => {
      if (req.principal) return participant(req);
      await exportableRound(ctx.db, null, roundIdOf(req));
    },
    schema: {
      tags, description: DESCRIPTION, params: IdParam, security: [{ bearer: [] }, {}],
      response: responses({ 200: ReleasePackage }),
    },
  }, async (req) => {
    const r = await exportableRound(ctx.db, req.principal, req.params.id);
    const uri = `${req.protocol}://${req.host}/v1/rounds/${encodeURIComponent(r.id)}/ocds`;
    return ocdsPackage(ctx.db, r, uri);
  });
};

/**
 * The authorisation matrix: every route of API.md (and the operators' queue
 * dashboard, served in production mode only) with the answer each kind of caller gets, derived from API.md's
 * "who" column and its conventions: 401 for no, a bad or a revoked token; 404 for a
 * resource the caller may not see; 403 when it sees it but its role may not act;
 * else the route's own answer ("ok": its success status or a 4xx other than
 * 401/403/404 — the matrix checks authorisation, not validation or state).
 * test/api/authz-matrix.test.ts walks the app's route table against it.
 */
import type { FastifyInstance } from 'fastify';

export const CALLERS = [
  'none', 'bad', 'revoked', 'operator', 'alliance', 'otherAlliance', 'hospitalIn', 'hospitalOut', 'manufacturer', 'otherManufacturer',
] as const;
export type Caller = typeof CALLERS[number];
export type Expect = 'ok' | 401 | 403 | 404;

/**
 * Who sees the resource a route names (the rest get 404):
 * - public: anyone, without a token (a token that is sent is checked: 401 when bad or revoked);
 * - token: any valid token;
 * - round: the round's participants (operator, its alliance, hospitals in its regions, manufacturers once published;
 *   a draft round: its alliance and the operator);
 * - org: the operator and the organization itself (the target is always `manufacturer`'s organization or one of its tokens);
 * - requester: a resource `alliance` created (a report): it and the operator.
 */
export type Scope = 'public' | 'token' | 'round' | 'org' | 'requester';

/** The fixture round a round route names: awarded, opened (notice period running), bidding, or a fresh draft per row. */
export type RoundKind = 'awarded' | 'opened' | 'bidding' | 'draft';

export interface Row {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify's form of the path (`:id`). */
  path: string;
  /** API.md's "who", for the reader. */
  who: string;
  scope: Scope;
  /** The callers, among those who see the resource, whose role may act. */
  allow: readonly Caller[] | 'all';
  round?: RoundKind;
  /** Where API.md's conventions and the served code agree on something the scope does not say. */
  except?: Partial<Record<Caller, Expect>>;
  /** Sub-resources (`oid`, `eid`, a report id) the test creates first. */
  needs?: 'objection' | 'enquiry' | 'report' | 'token';
}

const MAKERS = ['manufacturer', 'otherManufacturer'] as const;
const ALLIANCES = ['alliance', 'otherAlliance'] as const;
const ROUND_OWNER = ['alliance'] as const;

export const MATRIX: Row[] = [
  // Platform
  { method: 'GET', path: '/health', who: 'anyone', scope: 'public', allow: 'all' },
  { method: 'GET', path: '/openapi.json', who: 'anyone', scope: 'public', allow: 'all' },
  { method: 'GET', path: '/docs', who: 'anyone (the docs UI and its assets under /docs/)', scope: 'public', allow: 'all' },
  { method: 'POST', path: '/v1/organizations', who: 'operator', scope: 'token', allow: ['operator'] },
  { method: 'POST', path: '/v1/organizations/bulk', who: 'operator', scope: 'token', allow: ['operator'] },
  { method: 'GET', path: '/v1/organizations', who: 'operator; others see themselves', scope: 'token', allow: 'all' },
  { method: 'GET', path: '/v1/organizations/:id', who: 'operator; others see themselves', scope: 'org', allow: 'all' },
  { method: 'POST', path: '/v1/organizations/:id/tokens', who: 'operator', scope: 'org', allow: ['operator'] },
  { method: 'DELETE', path: '/v1/tokens/:id', who: "operator, or the token's organization", scope: 'org', allow: 'all', needs: 'token' },
  { method: 'POST', path: '/v1/organizations/:id/suspensions', who: 'operator', scope: 'org', allow: ['operator'] },
  // Catalogue (the product named is `manufacturer`'s: its own for it, another's for otherManufacturer)
  { method: 'POST', path: '/v1/products', who: 'manufacturer', scope: 'token', allow: MAKERS },
  { method: 'POST', path: '/v1/products/:id/verify', who: 'operator, alliance', scope: 'token', allow: ['operator', ...ALLIANCES] },
  { method: 'GET', path: '/v1/products', who: 'any', scope: 'token', allow: 'all' },
  { method: 'GET', path: '/v1/products/:id', who: 'any (not in API.md; served)', scope: 'token', allow: 'all' },
  // Rounds
  { method: 'POST', path: '/v1/rounds', who: 'alliance (operator with allianceId)', scope: 'token', allow: ['operator', ...ALLIANCES] },
  { method: 'GET', path: '/v1/rounds', who: 'participants (a list of the rounds the caller sees)', scope: 'token', allow: 'all' },
  { method: 'GET', path: '/v1/rounds/:id', who: 'participants', scope: 'round', allow: 'all', round: 'awarded' },
  { method: 'GET', path: '/v1/rounds/:id', who: 'participants (a draft: alliance and operator)', scope: 'round', allow: 'all', round: 'draft' },
  { method: 'PATCH', path: '/v1/rounds/:id', who: 'alliance', scope: 'round', allow: ROUND_OWNER, round: 'draft' },
  { method: 'POST', path: '/v1/rounds/:id/items', who: 'alliance', scope: 'round', allow: ROUND_OWNER, round: 'draft' },
  { method: 'GET', path: '/v1/rounds/:id/items', who: 'participants', scope: 'round', allow: 'all', round: 'awarded' },
  { method: 'POST', path: '/v1/rounds/:id/publish', who: 'alliance', scope: 'round', allow: ROUND_OWNER, round: 'draft' },
  { method: 'POST', path: '/v1/rounds/:id/start-bidding', who: 'alliance', scope: 'round', allow: ROUND_OWNER, round: 'draft' },
  { method: 'POST', path: '/v1/rounds/:id/open', who: 'alliance', scope: 'round', allow: ROUND_OWNER, round: 'awarded' },
  { method: 'POST', path: '/v1/rounds/:id/award', who: 'alliance', scope: 'round', allow: ROUND_OWNER, round: 'awarded' },
  { method: 'POST', path: '/v1/rounds/:id/close', who: 'alliance', scope: 'round', allow: ROUND_OWNER, round: 'draft' },
  { method: 'POST', path: '/v1/rounds/:id/cancel', who: 'alliance', scope: 'round', allow: ROUND_OWNER, round: 'draft' },
  // Demand
  { method: 'PUT', path: '/v1/rounds/:id/demand/:itemCode', who: 'hospital', scope: 'round', allow: ['hospitalIn'], round: 'awarded' },
  { method: 'POST', path: '/v1/rounds/:id/demand/bulk', who: 'alliance, operator', scope: 'round', allow: ['alliance', 'operator'], round: 'awarded' },
  { method: 'GET', path: '/v1/rounds/:id/demand', who: 'alliance: per item; hospital: its own lines (manufacturers, operator: per item)', scope: 'round', allow: 'all', round: 'awarded' },
  // Bids
  { method: 'PUT', path: '/v1/rounds/:id/bids/:itemCode', who: 'manufacturer', scope: 'round', allow: MAKERS, round: 'bidding' },
  { method: 'DELETE', path: '/v1/rounds/:id/bids/:itemCode', who: 'manufacturer (its own bid)', scope: 'round', allow: MAKERS, round: 'bidding' },
  { method: 'GET', path: '/v1/rounds/:id/bids', who: 'manufacturer: its own; alliance/operator', scope: 'round', allow: ['operator', 'alliance', ...MAKERS], round: 'awarded' },
  // Results and award
  { method: 'GET', path: '/v1/rounds/:id/results', who: 'participants, after opening', scope: 'round', allow: 'all', round: 'awarded' },
  { method: 'PUT', path: '/v1/rounds/:id/region-preferences/:itemCode', who: 'winning manufacturer, opened only', scope: 'round', allow: MAKERS, round: 'opened' },
  { method: 'GET', path: '/v1/rounds/:id/allocations', who: 'participants, after award', scope: 'round', allow: 'all', round: 'awarded' },
  { method: 'GET', path: '/v1/rounds/:id/agreements', who: 'hospital: own; manufacturer: own; alliance: all', scope: 'round', allow: 'all', round: 'awarded' },
  // Objections, enquiries, simulations
  { method: 'POST', path: '/v1/rounds/:id/objections', who: 'manufacturer that bid on the item', scope: 'round', allow: MAKERS, round: 'opened' },
  { method: 'GET', path: '/v1/rounds/:id/objections', who: 'participants', scope: 'round', allow: 'all', round: 'opened' },
  { method: 'POST', path: '/v1/rounds/:id/objections/:oid/decision', who: 'alliance', scope: 'round', allow: ROUND_OWNER, round: 'opened', needs: 'objection' },
  { method: 'POST', path: '/v1/rounds/:id/enquiries', who: 'manufacturer, participant', scope: 'round', allow: MAKERS, round: 'bidding' },
  { method: 'PUT', path: '/v1/rounds/:id/enquiries/:eid/answer', who: 'alliance', scope: 'round', allow: ROUND_OWNER, round: 'bidding', needs: 'enquiry' },
  { method: 'GET', path: '/v1/rounds/:id/enquiries', who: 'participants', scope: 'round', allow: 'all', round: 'bidding' },
  { method: 'POST', path: '/v1/rounds/:id/simulations', who: 'alliance, operator', scope: 'round', allow: ['alliance', 'operator'], round: 'awarded' },
  // Monitoring and price tracking
  { method: 'PUT', path: '/v1/rounds/:id/usage', who: 'hospital (own), alliance and operator (any hospital of the round, bulk)', scope: 'round', allow: ['hospitalIn', 'alliance', 'operator'], round: 'awarded' },
  { method: 'PUT', path: '/v1/rounds/:id/deliveries', who: 'manufacturer', scope: 'round', allow: MAKERS, round: 'awarded' },
  { method: 'GET', path: '/v1/rounds/:id/monitoring', who: 'participants, scoped', scope: 'round', allow: 'all', round: 'awarded' },
  { method: 'GET', path: '/v1/rounds/:id/alerts', who: 'participants, scoped', scope: 'round', allow: 'all', round: 'awarded' },
  { method: 'GET', path: '/v1/price-history', who: 'any token', scope: 'token', allow: 'all' },
  // Reports, export, audit
  { method: 'POST', path: '/v1/rounds/:id/reports', who: 'alliance, operator', scope: 'round', allow: ['alliance', 'operator'], round: 'awarded' },
  { method: 'GET', path: '/v1/reports/:id', who: 'its requester', scope: 'requester', allow: 'all', needs: 'report' },
  { method: 'GET', path: '/v1/reports', who: 'alliance, operator', scope: 'token', allow: ['operator', ...ALLIANCES] },
  { method: 'GET', path: '/v1/reports/:id/file', who: 'its requester', scope: 'requester', allow: 'all', needs: 'report' },
  {
    method: 'GET', path: '/v1/rounds/:id/ocds', who: 'participants; after award anyone, no token', scope: 'round', allow: 'all', round: 'awarded',
    // After award it needs no token; a token that is sent is the participant's view (404 for a non-participant).
    except: { none: 'ok' },
  },
  { method: 'GET', path: '/v1/rounds/:id/audit', who: 'alliance, operator', scope: 'round', allow: ['alliance', 'operator'], round: 'awarded' },
  { method: 'GET', path: '/v1/audit/verify', who: 'alliance, operator', scope: 'token', allow: ['operator', ...ALLIANCES] },
  // Operations (production mode only): bull-board and its API; every route under /admin/queues counts as this row.
  {
    method: 'GET', path: '/admin/queues', who: 'operator (its key as bearer token or Basic password)', scope: 'token', allow: ['operator'],
    // The dashboard answers 401 with a Basic challenge to every other caller, so a browser asks for the operator key.
    except: Object.fromEntries(['alliance', 'otherAlliance', 'hospitalIn', 'hospitalOut', ...MAKERS].map((c) => [c, 401])),
  },
];

/** Rows whose routes one mode does not serve: the queue dashboard needs BullMQ queues (production mode). */
export const MODE_ONLY: readonly string[] = ['GET /admin/queues'];

export const keyOf = (r: Pick<Row, 'method' | 'path'>) => `${r.method} ${r.path}`;

const TOKENLESS: readonly Caller[] = ['none', 'bad', 'revoked'];

/** Who sees the resource of a row. */
function sees(row: Row, c: Caller): boolean {
  switch (row.scope) {
    case 'public':
    case 'token': return true;
    case 'org': return c === 'operator' || c === 'manufacturer';
    case 'requester': return c === 'operator' || c === 'alliance';
    case 'round':
      if (c === 'operator' || c === 'alliance') return true;
      if (row.round === 'draft') return false;
      return c === 'hospitalIn' || c === 'manufacturer' || c === 'otherManufacturer';
  }
}

/** The answer a caller must get on a row. */
export function expected(row: Row, c: Caller): Expect {
  const x = row.except?.[c];
  if (x !== undefined) return x;
  if (TOKENLESS.includes(c)) return row.scope === 'public' && c === 'none' ? 'ok' : 401;
  if (!sees(row, c)) return 404;
  return row.allow === 'all' || row.allow.includes(c) ? 'ok' : 403;
}

/** METHOD path of every route the app serves (HEAD aside; the docs UI's assets count as GET /docs, the queue dashboard's routes as GET /admin/queues). */
export function servedRoutes(app: FastifyInstance): Set<string> {
  const out = new Set<string>();
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    stack.push(m[2]);
    const path = stack.join('').replace(/\/+/g, '/');
    for (const method of (m[3] ?? '').split(', ').filter((x) => x && x !== 'HEAD')) {
      out.add(path.startsWith('/docs/') ? 'GET /docs' : path.startsWith('/admin/queues') ? 'GET /admin/queues' : `${method} ${path}`);
    }
  }
  return out;
}

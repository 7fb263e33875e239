/**
 * The API's operations as documented for integrators, in one table: keyed by
 * `METHOD /path` with Fastify's `:param` syntax, each with its operationId (a
 * stable name in the domain's words; the generated client is called through
 * it), summary, description (who may call it, in which round states), tag and
 * the 4xx answers particular to it. The operations plugin
 * (src/http/plugins/operations.ts) applies it to every route, adding the
 * answers every route shares (401, 429, 400/413/415 for input, the
 * Idempotency-Key answers of POSTs); routes themselves carry only their schemas.
 */

export type ProblemCode = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429;

export interface Operation {
  operationId: string;
  summary: string;
  /** Who may call it and in which round states. */
  description: string;
  tag: Tag;
  /** The 4xx answers particular to this operation, each with its slugs and when. */
  problems: Partial<Record<ProblemCode, string>>;
  /** The route's own schema description says nothing this one does not (it is left out); by default it follows this one. */
  replacesRouteText?: boolean;
}

/** Tags, one per module, in the order of the document. */
export const TAGS = [
  { name: 'platform', description: 'Health of the service (the OpenAPI document itself is served at /openapi.json, its browser at /docs).' },
  { name: 'organizations', description: 'Alliances, hospitals and manufacturers; their API tokens and suspensions. Run by the operator.' },
  { name: 'catalogue', description: "Manufacturers' products (generic name, dosage form, strength, pack size, quality tier) and their verification." },
  { name: 'rounds', description: 'Procurement rounds and their items; the lifecycle draft → demand → bidding → opened → awarded → closed (or cancelled).' },
  { name: 'demand', description: "Hospitals' yearly demand per item, one line at a time or as bulk CSV/NDJSON uploads by the alliance." },
  { name: 'bids', description: 'Sealed bids of manufacturers, one per item, while the bid window is open; receipts commit to the price.' },
  { name: 'results', description: 'Opening of bids, winner selection, region preferences, award, supply regions and per-hospital agreements.' },
  { name: 'objections', description: 'Objections of bidders against a winner during the notice period after opening, and their decisions.' },
  { name: 'enquiries', description: 'Questions of participants about a round or an item, and the answers of the alliance, until bidding closes.' },
  { name: 'simulations', description: 'What-if evaluation of an opened round under other rules; writes nothing but its audit event.' },
  { name: 'usage', description: 'Monthly usage reported by hospitals (or their alliance) and deliveries by manufacturers during the contract.' },
  { name: 'monitoring', description: 'Completion, progress and fulfilment figures of the agreements, alerts, and price tracking across rounds.' },
  { name: 'reports', description: 'Report documents (round summary, monitoring) made in the background as JSON, CSV, XLSX or HTML.' },
  { name: 'audit', description: 'The hash-chained audit log of every state change, and its verification.' },
  { name: 'export', description: 'Open Contracting Data Standard (OCDS 1.1) release packages.' },
] as const;
export type Tag = (typeof TAGS)[number]['name'];

const ROUND_404 = '`not-found`: no such round, or the caller is not a participant (a draft is seen only by its alliance and the operator)';
const ITEM_404 = '`not-found`: no such round or item, or the caller is not a participant';
const ALLIANCE_403 = "`forbidden`: only the round's alliance (or the operator) may do this";

const op = (operationId: string, tag: Tag, summary: string, description: string, problems: Operation['problems'] = {}): Operation =>
  ({ operationId, tag, summary, description, problems });
/** The route's own description repeats this entry's. */
const only = (o: Operation): Operation => ({ ...o, replacesRouteText: true });

export const OPERATIONS: Record<string, Operation> = {
  // Platform
  'GET /health': op('getHealth', 'platform', 'Check the service and its dependencies',
    'Anyone, no token. 200 when the database and the queue answer, 503 (same body) when one is down.',
    { 401: '`unauthorized`: a token was sent and it is unknown or revoked (none is needed; a token that is sent is checked)' }),

  // Organizations
  'POST /v1/organizations': op('createOrganization', 'organizations', 'Register an organization',
    'The operator (master key) registers an alliance, a hospital or a manufacturer with its region code(s).',
    { 403: '`forbidden`: only the operator', 422: '`validation`: unknown region, or an externalId already taken' }),
  'POST /v1/organizations/bulk': op('bulkCreateOrganizations', 'organizations', 'Register many organizations from CSV or NDJSON',
    'The operator. text/csv (header row; regionCodes separated by ";") or application/x-ndjson, streamed; all-or-nothing; errors name lines.',
    { 403: '`forbidden`: only the operator', 413: '`payload-too-large`: the body or the number of records is over the limit', 422: '`validation`: line-numbered errors (at most 100)' }),
  'GET /v1/organizations': only(op('listOrganizations', 'organizations', 'List organizations',
    'Any token: the operator sees every organization, any other caller only itself. Paginated.')),
  'GET /v1/organizations/:id': op('getOrganization', 'organizations', 'Get an organization',
    'The operator, or the organization itself (any other organization answers 404).'),
  'POST /v1/organizations/:id/tokens': op('createToken', 'organizations', 'Issue an API token to an organization',
    'The operator. The token is shown once in the answer and stored hashed; it acts with the organization\'s role.',
    { 403: '`forbidden`: only the operator' }),
  'DELETE /v1/tokens/:id': op('revokeToken', 'organizations', 'Revoke an API token',
    'The operator, or the organization the token belongs to. Takes effect at once; revoking twice is a no-op.',
    { 404: '`not-found`: no such token, or another organization\'s' }),
  'POST /v1/organizations/:id/suspensions': op('suspendOrganization', 'organizations', 'Suspend an organization for a period',
    'The operator. A manufacturer suspended at a round\'s bidClosesAt (from ≤ t < until; until null: open-ended) has its bids there ineligible (`manufacturer_suspended`).',
    { 403: '`forbidden`: only the operator', 422: '`validation`: until before from' }),

  // Catalogue
  'POST /v1/products': op('createProduct', 'catalogue', 'Register a product',
    'A manufacturer registers one of its products; it starts unverified.',
    { 403: '`forbidden`: only a manufacturer', 422: '`validation`: a strength with an unknown unit, a drug without strength, an unknown quality tier' }),
  'POST /v1/products/:id/verify': op('verifyProduct', 'catalogue', 'Verify a product',
    'The operator or an alliance marks a product verified.', { 403: '`forbidden`: only the operator or an alliance' }),
  'GET /v1/products': op('listProducts', 'catalogue', 'List products',
    'Any token. Filters: manufacturerId, genericName. Paginated.'),
  'GET /v1/products/:id': op('getProduct', 'catalogue', 'Get a product', 'Any token.'),

  // Rounds
  'POST /v1/rounds': op('createRound', 'rounds', 'Create a round',
    'An alliance for itself, or the operator naming `allianceId`. The round starts in draft; its rules are a preset with overrides, resolved in the answer.',
    { 403: '`forbidden`: only an alliance or the operator', 422: '`validation`: invalid rules, bidClosesAt not after bidOpensAt, an unknown alliance' }),
  'GET /v1/rounds': op('listRounds', 'rounds', 'List rounds',
    'Participants: the operator all, an alliance its own, hospitals those of their alliance\'s regions, manufacturers every published round. Paginated.'),
  'GET /v1/rounds/:id': op('getRound', 'rounds', 'Get a round',
    'Participants, in every state (a draft only its alliance and the operator). After opening it carries openedAt and noticeEndsAt.', { 404: ROUND_404 }),
  'PATCH /v1/rounds/:id': only(op('updateRound', 'rounds', 'Change a draft round',
    "The round's alliance (or the operator); draft only.",
    { 403: ALLIANCE_403, 404: ROUND_404, 409: '`invalid-state`: the round is not a draft', 422: '`validation`: invalid rules or dates' })),
  'POST /v1/rounds/:id/items': only(op('addItem', 'rounds', 'Add an item to a round',
    "The round's alliance (or the operator); draft or demand only.",
    { 403: ALLIANCE_403, 404: ROUND_404, 409: '`invalid-state`: the round is past demand', 422: '`validation`: an item code already used, an invalid strength or price' })),
  'GET /v1/rounds/:id/items': op('listItems', 'rounds', 'List the items of a round', 'Participants, in every state. Paginated.', { 404: ROUND_404 }),
  'POST /v1/rounds/:id/publish': only(op('publishRound', 'rounds', 'Publish a round (draft → demand)',
    "The round's alliance (or the operator); draft only. Hospitals may then report demand and manufacturers see the round.",
    { 403: ALLIANCE_403, 404: ROUND_404, 409: '`invalid-state`: the round is not a draft' })),
  'POST /v1/rounds/:id/start-bidding': only(op('startBidding', 'rounds', 'Start bidding (demand → bidding)',
    "The round's alliance (or the operator); demand only, before bidClosesAt. Bids are taken while bidOpensAt ≤ now < bidClosesAt.",
    { 403: ALLIANCE_403, 404: ROUND_404, 409: '`invalid-state`: the round is not in demand; `bidding-closed`: bidClosesAt has passed' })),
  'POST /v1/rounds/:id/close': only(op('closeRound', 'rounds', 'Close a round (awarded → closed)',
    "The round's alliance (or the operator); awarded only.", { 403: ALLIANCE_403, 404: ROUND_404, 409: '`invalid-state`: the round is not awarded' })),
  'POST /v1/rounds/:id/cancel': only(op('cancelRound', 'rounds', 'Cancel a round',
    "The round's alliance (or the operator); draft, demand, bidding or opened. A round cancelled before opening keeps its bids sealed for ever.",
    { 403: ALLIANCE_403, 404: ROUND_404, 409: '`invalid-state`: the round is awarded, closed or cancelled' })),

  // Demand
  'PUT /v1/rounds/:id/demand/:itemCode': only(op('reportDemand', 'demand', 'Report a hospital\'s demand for an item',
    'A hospital of the round\'s regions, for itself; demand state only. Replaces its earlier line.',
    { 403: '`forbidden`: only a hospital', 404: ITEM_404, 409: '`invalid-state`: the round is not in demand', 422: '`validation`: an unknown preferred manufacturer' })),
  'POST /v1/rounds/:id/demand/bulk': only(op('bulkReportDemand', 'demand', 'Upload demand lines from CSV or NDJSON',
    "The round's alliance or the operator; demand state only. Columns hospitalId or hospitalExternalId, itemCode, quantity, preferredManufacturerId?; replaces those (hospital, item) keys; all-or-nothing.",
    { 403: ALLIANCE_403, 404: ROUND_404, 409: '`invalid-state`: the round is not in demand', 413: '`payload-too-large`: the body or the number of records is over the limit', 422: '`validation`: line-numbered errors (at most 100); a repeated key names both lines' })),
  'GET /v1/rounds/:id/demand': only(op('listDemand', 'demand', 'Read the demand of a round',
    'Participants, in every state: hospitals their own lines; the alliance, the operator and manufacturers per item {itemCode, hospitals, quantity}. Paginated.',
    { 404: ROUND_404 })),

  // Bids
  'PUT /v1/rounds/:id/bids/:itemCode': op('submitBid', 'bids', 'Submit or replace a sealed bid',
    'A manufacturer, for its own verified product; bidding state, while bidOpensAt ≤ now < bidClosesAt. The answer echoes the price and a receipt (digest, salt) committing to it.',
    { 403: '`forbidden`: only a manufacturer', 404: ITEM_404, 409: '`bidding-not-open`, `bidding-closed` outside the window; `invalid-state` for a cancelled round; `bid-conflict` for a concurrent write', 422: '`product-mismatch`: another generic name, dosage form or an unconvertible strength; `price-above-ceiling`: the comparable unit price is above maxUnitPrice (also `product-mismatch` for an unknown product or another manufacturer\'s)' }),
  'DELETE /v1/rounds/:id/bids/:itemCode': op('withdrawBid', 'bids', 'Withdraw a bid',
    'A manufacturer, its own bid; bidding state, inside the bid window.',
    { 403: '`forbidden`: only a manufacturer', 404: '`not-found`: no such round, item or bid', 409: '`bidding-not-open`, `bidding-closed` outside the window' }),
  'GET /v1/rounds/:id/bids': op('listBids', 'bids', 'List bids',
    'A manufacturer its own (before opening without prices); the alliance and the operator every bid, from opening on. Paginated.',
    { 403: '`forbidden`: hospitals', 404: ROUND_404, 409: '`invalid-state`: the alliance or operator before opening' }),

  // Results
  'POST /v1/rounds/:id/open': only(op('openRound', 'results', 'Open the bids (bidding → opened)',
    "The round's alliance (or the operator); bidding state, at or after bidClosesAt. Decrypts and checks the bids, selects winners, starts the notice period; answers as getResults.",
    { 403: ALLIANCE_403, 404: ROUND_404, 409: '`bidding-not-closed` before bidClosesAt; `invalid-state` outside bidding; `integrity-failure` when a bid does not match its receipt' })),
  'GET /v1/rounds/:id/results': op('getResults', 'results', 'Get the results of a round',
    'Participants, once the round is opened (opened, awarded, closed): per item the outcome and every bid with its rank and eligibility.',
    { 404: ROUND_404, 409: '`invalid-state`: the round is not opened yet' }),
  'PUT /v1/rounds/:id/region-preferences/:itemCode': only(op('setRegionPreferences', 'results', 'State the regions a winner prefers to supply',
    'A winning manufacturer of the item; opened state only (before award).',
    { 403: '`forbidden`: not a winner of this item', 404: ITEM_404, 409: '`invalid-state`: the round is not opened' })),
  'POST /v1/rounds/:id/award': only(op('awardRound', 'results', 'Award the round (opened → awarded)',
    "The round's alliance (or the operator); opened state, after the notice period with every objection decided. Fixes supply regions and per-hospital agreements; answers the round.",
    { 403: ALLIANCE_403, 404: ROUND_404, 409: '`notice-period`: the notice period runs or an objection is undecided; `invalid-state`: the round is not opened' })),
  'GET /v1/rounds/:id/allocations': op('listAllocations', 'results', 'List supply regions per item and winner',
    'Participants, once the round is awarded (awarded, closed). Paginated.', { 404: ROUND_404, 409: '`invalid-state`: the round is not awarded yet' }),
  'GET /v1/rounds/:id/agreements': op('listAgreements', 'results', 'List per-hospital agreements',
    'Once the round is awarded: hospitals their own, manufacturers those they supply, the alliance and the operator all. Filters hospitalId, itemCode, manufacturerId. Paginated.',
    { 404: ROUND_404, 409: '`invalid-state`: the round is not awarded yet' }),

  // Objections, enquiries, simulations
  'POST /v1/rounds/:id/objections': op('fileObjection', 'objections', 'Object to a winner',
    'A manufacturer that bid on the item, against another bidder of it; opened state, during the notice period.',
    { 403: '`forbidden`: only a manufacturer', 404: ROUND_404, 409: '`notice-closed`: outside the notice period', 422: '`validation`: against its own bid, a manufacturer without a bid on the item, or an unknown item' }),
  'GET /v1/rounds/:id/objections': op('listObjections', 'objections', 'List objections',
    'Participants, in every state; filedBy is shown to the alliance, the operator and the objector only.', { 404: ROUND_404 }),
  'POST /v1/rounds/:id/objections/:oid/decision': op('decideObjection', 'objections', 'Decide an objection',
    "The round's alliance (or the operator); opened state, once per objection. Upheld re-evaluates the item.",
    { 403: ALLIANCE_403, 404: '`not-found`: no such round or objection', 409: '`invalid-state`: already decided, or the round is not opened' }),
  'POST /v1/rounds/:id/enquiries': op('askEnquiry', 'enquiries', 'Ask a question about a round or item',
    'A manufacturer or another participant; demand or bidding state, before bidClosesAt.',
    { 403: '`forbidden`: a role that may not ask', 404: ROUND_404, 409: '`invalid-state`: outside demand and bidding, or at or after bidClosesAt', 422: '`validation`: an unknown item' }),
  'GET /v1/rounds/:id/enquiries': op('listEnquiries', 'enquiries', 'List enquiries and answers',
    'Participants, in every state; askedBy is shown to the alliance, the operator and the asker only.', { 404: ROUND_404 }),
  'PUT /v1/rounds/:id/enquiries/:eid/answer': op('answerEnquiry', 'enquiries', 'Answer an enquiry',
    "The round's alliance (or the operator); until bidClosesAt.",
    { 403: ALLIANCE_403, 404: '`not-found`: no such round or enquiry', 409: '`invalid-state`: at or after bidClosesAt' }),
  'POST /v1/rounds/:id/simulations': op('simulateRound', 'simulations', 'Evaluate the round under other rules',
    "The round's alliance or the operator; opened, awarded or closed. Answers resolved rules and results as getResults; writes nothing but its audit event.",
    { 403: ALLIANCE_403, 404: ROUND_404, 409: '`invalid-state`: the round is not opened yet', 422: '`validation`: invalid rules' }),

  // Monitoring and price tracking
  'PUT /v1/rounds/:id/usage': op('reportUsage', 'usage', 'Report monthly usage',
    'A hospital for itself, or the alliance for any of its hospitals (bulk); awarded or closed. JSON array, CSV or NDJSON; upserts the given keys only.',
    { 403: '`forbidden`: a manufacturer, or another hospital\'s rows', 404: ROUND_404, 409: '`invalid-state`: the round is not awarded', 413: '`payload-too-large`', 422: '`validation`: line-numbered errors (unknown hospital, item, product or period)' }),
  'PUT /v1/rounds/:id/deliveries': op('reportDeliveries', 'usage', 'Report monthly deliveries',
    'A winning manufacturer, for the hospitals it supplies; awarded or closed. Upserts the given keys only.',
    { 403: '`forbidden`: only a manufacturer', 404: ROUND_404, 409: '`invalid-state`: the round is not awarded', 413: '`payload-too-large`', 422: '`validation`: line-numbered errors' }),
  'GET /v1/rounds/:id/monitoring': op('getMonitoring', 'monitoring', 'Get completion and fulfilment figures',
    'Participants, scoped to what they may see; awarded or closed. Grouped by item, hospital, region or manufacturer as of a month.',
    { 404: ROUND_404, 409: '`invalid-state`: the round is not awarded' }),
  'GET /v1/rounds/:id/alerts': op('listAlerts', 'monitoring', 'List monitoring alerts',
    'Participants, scoped to what they may see; awarded or closed. Filters asOf, type. Paginated.',
    { 404: ROUND_404, 409: '`invalid-state`: the round is not awarded' }),
  'GET /v1/price-history': op('getPriceHistory', 'monitoring', 'Get the price history of a generic name and dosage form',
    'Any token: awarded rounds with their winning prices and drops, and the monthly paid unit prices.'),

  // Reports
  'POST /v1/rounds/:id/reports': op('requestReport', 'reports', 'Request a report document',
    "The round's alliance or the operator. round_summary once the round is awarded; monitoring once awarded, as of a month. Answers 202 with a Location to poll.",
    { 403: ALLIANCE_403, 404: ROUND_404, 409: '`invalid-state`: the round is not awarded' }),
  'GET /v1/reports': op('listReports', 'reports', 'List reports',
    "The alliance its organization's reports, the operator all; newest first. Filter roundId. Paginated.", { 403: '`forbidden`: only an alliance or the operator' }),
  'GET /v1/reports/:id': op('getReport', 'reports', 'Get the status of a report', 'Its requester (and the operator).',
    { 403: '`forbidden`: a role that requests no reports', 404: '`not-found`: no such report, or another organization\'s' }),
  'GET /v1/reports/:id/file': op('downloadReport', 'reports', 'Download a report document',
    'Its requester (and the operator), once the report is done; served with its content type.',
    { 403: '`forbidden`: a role that requests no reports', 404: '`not-found`: no such report, or another organization\'s', 409: '`invalid-state`: the report is not done' }),

  // Audit and export
  'GET /v1/rounds/:id/audit': op('listAuditEvents', 'audit', 'Read the audit chain of a round',
    "The round's alliance and the operator, in every state; before opening the alliance sees it up to the first bid event. Paginated.",
    { 403: '`forbidden`: only the alliance or the operator', 404: ROUND_404 }),
  'GET /v1/audit/verify': only(op('verifyAudit', 'audit', 'Verify audit hash chains',
    'An alliance (its own rounds) or the operator (the platform chain and every round); with roundId that round only.',
    { 403: '`forbidden`: only an alliance or the operator', 404: ROUND_404 })),
  'GET /v1/rounds/:id/ocds': op('getOcdsRelease', 'export', 'Export the round as an OCDS 1.1 release package',
    'Participants with a token, in every state; after award (awarded, closed) anyone, without a token.',
    { 401: '`unauthorized`: no token before the round is awarded, or a bad token', 404: ROUND_404 }),
};

/**
 * Entries whose routes other modules add (API.md names them all): allowed in
 * the table before their routes are served. Keep it short: an entry leaves
 * the list once its route is on main.
 */
export const NOT_YET_SERVED: readonly string[] = [];

/** `METHOD /path/:a/x/:b` → `METHOD /path/:/x/:`: routes match whatever their parameters are named. */
export const shapeOf = (key: string): string => key.replace(/:[^/]+/g, ':');

const byShape = new Map(Object.entries(OPERATIONS).map(([k, v]) => [shapeOf(k), v]));

export const operationFor = (method: string, url: string): Operation | undefined => byShape.get(shapeOf(`${method} ${url}`));

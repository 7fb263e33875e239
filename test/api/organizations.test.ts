import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, count, expectProblem, invalid, op, type Api, type TestApp } from '../helpers.js';
import { maker, world, type Party } from './round-fixture.js';

/** API.md "Platform": organizations, tokens, suspensions, and the platform audit chain; one describe per route, on the shared world. */
describe('organizations', () => {
  let t: TestApp;
  let c: Api;
  let alliance: Party, hospital: Party, manufacturer: Party;

  beforeAll(async () => {
    const w = await world();
    ({ t, api: c, alliance } = w);
    hospital = w.hospitals.gz1;
    manufacturer = await maker(w, []);
  });
  afterAll(async () => { await t?.close(); });

  const platformEvents = async () => {
    const v = await c.get('/v1/audit/verify', op);
    expect(v.status).toBe(200);
    expect(v.body.ok).toBe(true);
    return v.body.events as number;
  };

  describe('POST /v1/organizations', () => {
    it('creates each kind with its fields', async () => {
      const before = await platformEvents();
      const a = await c.post('/v1/organizations', op, { kind: 'alliance', name: '四川联盟', regionCode: '510000', regionCodes: ['510000', '500000'], externalId: 'ALL-51' });
      expect(a.status).toBe(201);
      expect(a.headers.location).toBe(`/v1/organizations/${a.body.id}`);
      expect(Object.keys(a.body).sort()).toEqual(['createdAt', 'externalId', 'id', 'kind', 'name', 'regionCode', 'regionCodes']);
      expect(a.body).toMatchObject({ kind: 'alliance', name: '四川联盟', regionCode: '510000', regionCodes: ['510000', '500000'], externalId: 'ALL-51' });
      expect(typeof a.body.id).toBe('string');
      expect(new Date(a.body.createdAt).toISOString()).toBe(a.body.createdAt);
      const h = await c.post('/v1/organizations', op, { kind: 'hospital', name: '华西医院', regionCode: '510107' });
      expect(h.status).toBe(201);
      expect(h.body).toMatchObject({ kind: 'hospital', regionCode: '510107', regionCodes: null, externalId: null });
      const m = await c.post('/v1/organizations', op, { kind: 'manufacturer', name: '药厂', regionCode: '130100', externalId: 'MFR-1' });
      expect(m.status).toBe(201);
      expect(m.body).toMatchObject({ kind: 'manufacturer', regionCode: '130100', regionCodes: null, externalId: 'MFR-1' });
      expect(await count(t.db, 'organizations', 'id = ANY($1)', [[a.body.id, h.body.id, m.body.id]])).toBe(3);
      expect((await c.get(`/v1/organizations/${a.body.id}`, op)).body).toEqual(a.body);
      expect(await platformEvents()).toBe(before + 3);
    });

    it('validates region codes and regionCodes, writing nothing', async () => {
      const before = await count(t.db, 'organizations');
      for (const regionCode of ['44010', '4401030', '44a103', 440103]) {
        const b = expectProblem(await c.post('/v1/organizations', op, invalid({ kind: 'hospital', name: 'bad', regionCode })), 400, 'validation');
        expect(b.errors.map((e: any) => e.path)).toContain('/regionCode');
      }
      const unknown = expectProblem(await c.post('/v1/organizations', op, { kind: 'hospital', name: 'bad', regionCode: '990000' }), 422, 'validation');
      expect(unknown.errors).toEqual([expect.objectContaining({ path: '/regionCode' })]);
      const noRegions = expectProblem(await c.post('/v1/organizations', op, { kind: 'alliance', name: 'bad', regionCode: '440000' }), 422, 'validation');
      expect(noRegions.errors.map((e: any) => e.path)).toEqual(['/regionCodes']);
      const hospRegions = expectProblem(await c.post('/v1/organizations', op, { kind: 'hospital', name: 'bad', regionCode: '440103', regionCodes: ['440000'] }), 422, 'validation');
      expect(hospRegions.errors.map((e: any) => e.path)).toEqual(['/regionCodes']);
      const badAllianceRegion = expectProblem(await c.post('/v1/organizations', op, { kind: 'alliance', name: 'bad', regionCode: '440000', regionCodes: ['440000', '990000'] }), 422, 'validation');
      expect(badAllianceRegion.errors.map((e: any) => e.path)).toEqual(['/regionCodes/1']);
      expectProblem(await c.post('/v1/organizations', op, { kind: 'alliance', name: 'bad', regionCode: '440000', regionCodes: [] }), 400, 'validation');
      expect(await count(t.db, 'organizations')).toBe(before);
    });

    it('refuses an externalId that is taken', async () => {
      expect((await c.post('/v1/organizations', op, { kind: 'hospital', name: 'ext', regionCode: '440103', externalId: 'DUP-1' })).status).toBe(201);
      const b = expectProblem(await c.post('/v1/organizations', op, { kind: 'hospital', name: 'ext2', regionCode: '440103', externalId: 'DUP-1' }), 422, 'validation');
      expect(b.errors[0].path).toBe('/externalId');
      expect(await count(t.db, 'organizations', "external_id = 'DUP-1'")).toBe(1);
    });

    it('is for the operator only', async () => {
      const before = await count(t.db, 'organizations');
      for (const who of [alliance, hospital, manufacturer]) {
        expectProblem(await c.post('/v1/organizations', who.h, { kind: 'hospital', name: 'nope', regionCode: '440103' }), 403, 'forbidden');
      }
      expectProblem(await c.post('/v1/organizations', {}, { kind: 'hospital', name: 'nope', regionCode: '440103' }), 401, 'unauthorized');
      expect(await count(t.db, 'organizations')).toBe(before);
    });
  });

  describe('GET /v1/organizations', () => {
    it('shows the operator every organization and others only themselves', async () => {
      const all = await c.get('/v1/organizations?limit=1000', op);
      expect(all.status).toBe(200);
      expect(all.body.data).toHaveLength(await count(t.db, 'organizations'));
      expect(all.body.data.map((o: any) => o.id)).toEqual(expect.arrayContaining([alliance.id, hospital.id, manufacturer.id]));
      for (const who of [alliance, hospital, manufacturer]) {
        const own = await c.get('/v1/organizations', who.h);
        expect(own.status).toBe(200);
        expect(own.body).toEqual({ data: [expect.objectContaining({ id: who.id })], nextCursor: null });
      }
      const hospitals = await c.get('/v1/organizations?kind=hospital&limit=1000', op);
      expect(hospitals.body.data.every((o: any) => o.kind === 'hospital')).toBe(true);
      expect(hospitals.body.data.map((o: any) => o.id)).toContain(hospital.id);
      expectProblem(await c.get('/v1/organizations?kind=pharmacy', op), 400, 'validation');
      expectProblem(await c.get('/v1/organizations', {}), 401, 'unauthorized');
    });

  });

  describe('GET /v1/organizations/{id}', () => {
    it('answers 404 for another organization and for an unknown id', async () => {
      expect((await c.get(`/v1/organizations/${hospital.id}`, hospital.h)).body).toMatchObject({ id: hospital.id, kind: 'hospital', regionCode: '440103' });
      expect((await c.get(`/v1/organizations/${hospital.id}`, op)).status).toBe(200);
      expectProblem(await c.get(`/v1/organizations/${manufacturer.id}`, hospital.h), 404, 'not-found');
      expectProblem(await c.get(`/v1/organizations/${hospital.id}`, alliance.h), 404, 'not-found');
      expectProblem(await c.get('/v1/organizations/org_missing', op), 404, 'not-found');
      expectProblem(await c.get(`/v1/organizations/${hospital.id}`, {}), 401, 'unauthorized');
    });
  });

  describe('POST /v1/organizations/{id}/tokens', () => {
    it('shows a token once and stores only its sha256', async () => {
      const before = await platformEvents();
      const res = await c.post(`/v1/organizations/${hospital.id}/tokens`, op, { name: 'his' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ organizationId: hospital.id, name: 'his' });
      expect(typeof res.body.id).toBe('string');
      expect(typeof res.body.token).toBe('string');
      const token: string = res.body.token;
      const rows = await t.db.query<Record<string, unknown>>('SELECT * FROM tokens WHERE id = $1', [res.body.id]);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows[0])).not.toContain(token);
      expect(rows[0].token_hash).toBe(createHash('sha256').update(token).digest('hex'));
      const all = await t.db.query<Record<string, unknown>>('SELECT * FROM tokens');
      expect(JSON.stringify(all)).not.toContain(token);
      const me = await c.get(`/v1/organizations/${hospital.id}`, bearer(token));
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(hospital.id);
      // Another request for a token makes a new one; the first is never shown again.
      const second = await c.post(`/v1/organizations/${hospital.id}/tokens`, op, { name: 'his' });
      expect(second.body.token).not.toBe(token);
      expect(await platformEvents()).toBe(before + 2);
    });

    it('refuses bad input and non-operators, writing nothing', async () => {
      const before = await count(t.db, 'tokens');
      expectProblem(await c.post(`/v1/organizations/${hospital.id}/tokens`, op, invalid({})), 400, 'validation');
      expectProblem(await c.post(`/v1/organizations/${hospital.id}/tokens`, op, { name: '' }), 400, 'validation');
      expectProblem(await c.post('/v1/organizations/org_missing/tokens', op, { name: 'x' }), 404, 'not-found');
      expectProblem(await c.post(`/v1/organizations/${hospital.id}/tokens`, hospital.h, { name: 'x' }), 403, 'forbidden');
      expectProblem(await c.post(`/v1/organizations/${hospital.id}/tokens`, manufacturer.h, { name: 'x' }), 404, 'not-found');
      expectProblem(await c.post(`/v1/organizations/${hospital.id}/tokens`, {}, { name: 'x' }), 401, 'unauthorized');
      expect(await count(t.db, 'tokens')).toBe(before);
    });

  });

  describe('DELETE /v1/tokens/{id}', () => {
    it('is revoked by the operator', async () => {
      const tok = await c.post(`/v1/organizations/${manufacturer.id}/tokens`, op, { name: 'x' });
      expect((await c.get('/v1/organizations', bearer(tok.body.token))).status).toBe(200);
      const before = await platformEvents();
      expect((await c.del(`/v1/tokens/${tok.body.id}`, op)).status).toBe(204);
      expectProblem(await c.get('/v1/organizations', bearer(tok.body.token)), 401, 'unauthorized');
      expect(await platformEvents()).toBe(before + 1);
      expect(await count(t.db, 'tokens', 'id = $1 AND revoked_at IS NOT NULL', [tok.body.id])).toBe(1);
      expect((await c.get('/v1/organizations', manufacturer.h)).status).toBe(200);
    });

    it('is revoked by its own organization, not by another', async () => {
      const a = await c.post(`/v1/organizations/${manufacturer.id}/tokens`, op, { name: 'a' });
      const b = await c.post(`/v1/organizations/${manufacturer.id}/tokens`, op, { name: 'b' });
      expectProblem(await c.del(`/v1/tokens/${a.body.id}`, hospital.h), 404, 'not-found');
      expectProblem(await c.del(`/v1/tokens/${a.body.id}`, alliance.h), 404, 'not-found');
      expectProblem(await c.del(`/v1/tokens/${a.body.id}`, {}), 401, 'unauthorized');
      expectProblem(await c.del('/v1/tokens/tok_missing', op), 404, 'not-found');
      expect((await c.get('/v1/organizations', bearer(a.body.token))).status).toBe(200);
      expect(await count(t.db, 'tokens', 'id = $1 AND revoked_at IS NULL', [a.body.id])).toBe(1);
      expect((await c.del(`/v1/tokens/${a.body.id}`, bearer(b.body.token))).status).toBe(204);
      expectProblem(await c.get('/v1/organizations', bearer(a.body.token)), 401, 'unauthorized');
      // A token may revoke itself.
      expect((await c.del(`/v1/tokens/${b.body.id}`, bearer(b.body.token))).status).toBe(204);
      expectProblem(await c.get('/v1/organizations', bearer(b.body.token)), 401, 'unauthorized');
    });

    it('requests that arrive together are authenticated by one look-up, each as its own token', async () => {
      const issue = async (orgId: string) => (await c.post(`/v1/organizations/${orgId}/tokens`, op, { name: 'together' })).body as { id: string; token: string };
      const [m, h, a, revoked] = [await issue(manufacturer.id), await issue(hospital.id), await issue(alliance.id), await issue(hospital.id)];
      expect((await c.del(`/v1/tokens/${revoked.id}`, op)).status).toBe(204);
      const callers = [
        [m.token, manufacturer.id], [h.token, hospital.id], [revoked.token, null], [a.token, alliance.id], ['not-a-token', null],
        [m.token, manufacturer.id], [h.token, hospital.id],
      ] as const;
      // All at once: the look-ups of one turn of the event loop share a statement.
      const answers = await Promise.all(callers.map(([token]) => c.get('/v1/organizations', bearer(token))));
      for (const [i, [, orgId]] of callers.entries()) {
        if (orgId === null) expectProblem(answers[i], 401, 'unauthorized');
        else expect(answers[i].body.data.map((o: { id: string }) => o.id), `caller ${i}`).toEqual([orgId]);
      }
    });
  });

  describe('POST /v1/organizations/{id}/suspensions', () => {
    it('are created by the operator', async () => {
      const before = await platformEvents();
      const res = await c.post(`/v1/organizations/${manufacturer.id}/suspensions`, op, { from: '2026-01-01T00:00:00Z', until: '2026-07-01T00:00:00Z', reason: '质量问题' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ organizationId: manufacturer.id, from: '2026-01-01T00:00:00.000Z', until: '2026-07-01T00:00:00.000Z', reason: '质量问题' });
      expect(typeof res.body.id).toBe('string');
      const open = await c.post(`/v1/organizations/${manufacturer.id}/suspensions`, op, { from: '2026-08-01T00:00:00Z', until: null, reason: 'open-ended' });
      expect(open.status).toBe(201);
      expect(open.body.until).toBeNull();
      expect(await count(t.db, 'suspensions', 'organization_id = $1', [manufacturer.id])).toBe(2);
      expect(await platformEvents()).toBe(before + 2);
    });

    it('refuse bad input and non-operators, writing nothing', async () => {
      const before = await count(t.db, 'suspensions');
      const events = await platformEvents();
      const url = `/v1/organizations/${hospital.id}/suspensions`;
      const b = expectProblem(await c.post(url, op, { from: '2026-05-01T00:00:00Z', until: '2026-05-01T00:00:00Z', reason: 'x' }), 422, 'validation');
      expect(b.errors[0].path).toBe('/until');
      expectProblem(await c.post(url, op, { from: '2026-05-01T00:00:00Z', until: '2026-04-01T00:00:00Z', reason: 'x' }), 422, 'validation');
      expectProblem(await c.post(url, op, { from: 'yesterday', until: null, reason: 'x' }), 400, 'validation');
      expectProblem(await c.post(url, op, { from: '2026-05-01T00:00:00Z', reason: 'x' }), 400, 'validation');
      expectProblem(await c.post(url, op, { from: '2026-05-01T00:00:00Z', until: null, reason: '' }), 400, 'validation');
      expectProblem(await c.post(url, hospital.h, { from: '2026-05-01T00:00:00Z', until: null, reason: 'x' }), 403, 'forbidden');
      expectProblem(await c.post(url, alliance.h, { from: '2026-05-01T00:00:00Z', until: null, reason: 'x' }), 404, 'not-found');
      expectProblem(await c.post('/v1/organizations/org_missing/suspensions', op, { from: '2026-05-01T00:00:00Z', until: null, reason: 'x' }), 404, 'not-found');
      expectProblem(await c.post(url, {}, { from: '2026-05-01T00:00:00Z', until: null, reason: 'x' }), 401, 'unauthorized');
      expect(await count(t.db, 'suspensions')).toBe(before);
      expect(await platformEvents()).toBe(events);
    });
  });

  describe('POST /v1/organizations/bulk', () => {
    const csv = (body: string) => c.raw('POST', '/v1/organizations/bulk', op, body, 'text/csv');
    const ndjson = (rows: unknown[]) => c.raw('POST', '/v1/organizations/bulk', op,
      rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n', 'application/x-ndjson');
    const lines = (b: any) => b.errors.map((e: any) => e.line);

    it('creates organizations from CSV', async () => {
      const before = await platformEvents();
      const res = await csv('kind,name,regionCode,regionCodes,externalId\n'
        + 'alliance,华东联盟,310000,310000;320000,B-ALL\n'
        + 'hospital,"医院, 一",320102,,B-H1\n'
        + 'manufacturer,厂,130100,,\n');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toEqual({ created: 3 });
      const rows = await t.db.query<any>("SELECT kind, name, region_code, region_codes, external_id FROM organizations WHERE name IN ('华东联盟', '医院, 一', '厂') ORDER BY kind");
      expect(rows).toEqual([
        { kind: 'alliance', name: '华东联盟', region_code: '310000', region_codes: ['310000', '320000'], external_id: 'B-ALL' },
        { kind: 'hospital', name: '医院, 一', region_code: '320102', region_codes: null, external_id: 'B-H1' },
        { kind: 'manufacturer', name: '厂', region_code: '130100', region_codes: null, external_id: null },
      ]);
      const found = await c.get('/v1/organizations?externalId=B-H1', op);
      expect(found.body.data).toEqual([expect.objectContaining({ kind: 'hospital', regionCode: '320102', externalId: 'B-H1' })]);
      expect(await platformEvents()).toBeGreaterThan(before);
    });

    it('creates organizations from NDJSON', async () => {
      const res = await ndjson([
        { kind: 'hospital', name: 'nd1', regionCode: '440304', externalId: 'ND-1' },
        { kind: 'alliance', name: 'nd2', regionCode: '110000', regionCodes: ['110000'] },
      ]);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toEqual({ created: 2 });
      expect(await count(t.db, 'organizations', "name IN ('nd1', 'nd2')")).toBe(2);
    });

    it('writes nothing when CSV lines at the start, middle and end are bad', async () => {
      const before = await count(t.db, 'organizations');
      const events = await platformEvents();
      const res = await csv('kind,name,regionCode\n'
        + 'pharmacy,bad kind,440103\n'      // line 2
        + 'hospital,ok1,440103\n'
        + 'hospital,bad region,990000\n'    // line 4
        + 'hospital,ok2,440103\n'
        + 'hospital,short\n');              // line 6
      const b = expectProblem(res, 400, 'validation');
      expect(lines(b)).toEqual([2, 4, 6]);
      for (const e of b.errors) expect(typeof e.message).toBe('string');
      expect(await count(t.db, 'organizations')).toBe(before);
      expect(await platformEvents()).toBe(events);
    });

    it('writes nothing when NDJSON lines at the start, middle and end are bad', async () => {
      const before = await count(t.db, 'organizations');
      const res = await ndjson([
        { kind: 'alliance', name: 'no regions', regionCode: '440000' },   // line 1
        { kind: 'hospital', name: 'ok1', regionCode: '440103' },
        { kind: 'hospital', name: 'regions', regionCode: '440103', regionCodes: ['440000'] }, // line 3
        { kind: 'hospital', name: 'ok2', regionCode: '440103' },
        { kind: 'hospital', name: 'colour', regionCode: '440103', colour: 'red' }, // line 5
      ]);
      const b = expectProblem(res, 400, 'validation');
      expect(lines(b)).toEqual([1, 3, 5]);
      expect(await count(t.db, 'organizations')).toBe(before);
    });

    it('names a malformed NDJSON line', async () => {
      const before = await count(t.db, 'organizations');
      const res = await ndjson([{ kind: 'hospital', name: 'ok', regionCode: '440103' }, '{"kind": "hospital", "name":', '[1, 2]']);
      const b = expectProblem(res, 400, 'validation');
      expect(lines(b)).toEqual([2, 3]);
      expect(await count(t.db, 'organizations')).toBe(before);
    });

    it('names both lines of an externalId repeated within one upload', async () => {
      const before = await count(t.db, 'organizations');
      const res = await csv('kind,name,regionCode,externalId\n'
        + 'hospital,r1,440103,REP-1\n'
        + 'hospital,r2,440103,REP-2\n'
        + 'hospital,r3,440103,REP-1\n');
      const b = expectProblem(res, 422, 'validation');
      expect(b.errors).toHaveLength(1);
      expect(b.errors[0].line).toBe(4);
      expect(b.errors[0].message).toMatch(/\b2\b/);
      expect(b.errors[0].message).toContain('REP-1');
      const nd = await ndjson([
        { kind: 'hospital', name: 'r1', regionCode: '440103', externalId: 'REP-3' },
        { kind: 'hospital', name: 'r2', regionCode: '440103', externalId: 'REP-3' },
      ]);
      const b2 = expectProblem(nd, 422, 'validation');
      expect(b2.errors).toEqual([expect.objectContaining({ line: 2, message: expect.stringMatching(/\b1\b/) })]);
      expect(await count(t.db, 'organizations')).toBe(before);
    });

    it('refuses an externalId that is taken', async () => {
      expect((await c.post('/v1/organizations', op, { kind: 'hospital', name: 'taken', regionCode: '440103', externalId: 'TAKEN-1' })).status).toBe(201);
      const before = await count(t.db, 'organizations');
      const b = expectProblem(await ndjson([
        { kind: 'hospital', name: 'fresh', regionCode: '440103', externalId: 'FRESH-1' },
        { kind: 'hospital', name: 'again', regionCode: '440103', externalId: 'TAKEN-1' },
      ]), 422, 'validation');
      expect(b.errors).toEqual([expect.objectContaining({ line: 2, message: expect.stringContaining('TAKEN-1') })]);
      expect(await count(t.db, 'organizations')).toBe(before);
    });

    it('refuses other content types, empty uploads and non-operators', async () => {
      const before = await count(t.db, 'organizations');
      expectProblem(await c.post('/v1/organizations/bulk', op, [{ kind: 'hospital', name: 'json', regionCode: '440103' }]), 415, 'unsupported-media-type');
      expectProblem(await c.raw('POST', '/v1/organizations/bulk', op, 'kind,name', 'text/plain'), 415, 'unsupported-media-type');
      expectProblem(await csv('kind,name,regionCode\n'), 422, 'validation');
      const row = 'kind,name,regionCode\nhospital,x,440103\n';
      expectProblem(await c.raw('POST', '/v1/organizations/bulk', alliance.h, row, 'text/csv'), 403, 'forbidden');
      expectProblem(await c.raw('POST', '/v1/organizations/bulk', manufacturer.h, row, 'text/csv'), 403, 'forbidden');
      expectProblem(await c.raw('POST', '/v1/organizations/bulk', {}, row, 'text/csv'), 401, 'unauthorized');
      expect(await count(t.db, 'organizations')).toBe(before);
    });
  });

  describe('GET /v1/audit/verify (the platform chain)', () => {
    it('keeps the platform audit chain to the operator and verifiable', async () => {
      const v = await c.get('/v1/audit/verify', op);
      expect(v.body).toMatchObject({ ok: true });
      expect(v.body.chains).toHaveLength(1);
      expect(v.body.head).toMatch(/^[0-9a-f]{64}$/);
      expect(await count(t.db, 'audit_events')).toBe(v.body.events);
      const types = (await t.db.query<{ type: string }>('SELECT DISTINCT type FROM audit_events')).map((r) => r.type);
      expect(types).toEqual(expect.arrayContaining(['organization.created', 'token.created', 'token.revoked', 'suspension.created']));
      expectProblem(await c.get('/v1/audit/verify', hospital.h), 403, 'forbidden');
      expectProblem(await c.get('/v1/audit/verify', manufacturer.h), 403, 'forbidden');
      // An alliance verifies its own rounds only: the platform chain is not among them.
      expect((await c.get('/v1/audit/verify', alliance.h)).body).toMatchObject({ ok: true, events: 0 });
    });
  });
});

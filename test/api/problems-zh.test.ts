import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TITLES_ZH, problemLanguage, translateZh } from '../../src/http/problem.js';
import { expectProblem, op } from '../helpers.js';
import { bid, item, maker, round, world, type Maker, type World } from './round-fixture.js';

/** Issue #17: problem `title` and `detail` in Chinese on Accept-Language: zh-CN; `type`, slugs, status and errors unchanged. */

const zh = { 'accept-language': 'zh-CN' };

describe('problems in Chinese (Accept-Language)', () => {
  let w: World;
  let m: Maker;
  beforeAll(async () => { w = await world(); m = await maker(w, [{}, { genericName: 'rosuvastatin calcium' }]); });
  afterAll(async () => { await w?.t.close(); });

  it('answers 401 and 404 in Chinese, English without the header, and says which in Content-Language', async () => {
    const en = await w.c.get('/v1/rounds', {});
    expect(en.body).toEqual({ type: '/problems/unauthorized', title: 'Unauthorized', status: 401, detail: 'A valid bearer token is required' });
    expect(en.headers['content-language']).toBe('en');
    const cn = await w.c.get('/v1/rounds', zh);
    expect(cn.body).toEqual({ type: '/problems/unauthorized', title: '未认证', status: 401, detail: '需要有效的 Bearer 令牌' });
    expect(cn.headers['content-language']).toBe('zh-CN');
    expect(cn.headers.vary).toContain('Accept-Language');
    const missing = await w.c.get('/v1/rounds/nope', { ...op, ...zh });
    expect(expectProblem(missing, 404, 'not-found')).toMatchObject({ title: '未找到', detail: '采购轮次不存在' });
  });

  it('translates state and bid-window conflicts and domain rules, keeping the slug', async () => {
    const r = await round(w, { state: 'demand' });
    const early = await w.c.put(`/v1/rounds/${r.id}/bids/ATV20`, { ...m.h, ...zh }, { productId: m.products[0], packagePrice: '5.00' });
    expect(expectProblem(early, 409, 'bidding-not-open')).toMatchObject({ title: '申报尚未开始', detail: '本轮次尚未开始申报' });
    const patch = await w.c.patch(`/v1/rounds/${r.id}`, { ...w.alliance.h, 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' }, { name: 'x' });
    expect(expectProblem(patch, 409, 'invalid-state')).toMatchObject({
      title: '状态不允许此操作', detail: '采购轮次当前为需求填报（demand）状态，此操作需要草稿（draft）状态',
    });

    const b = await round(w);
    // 40.00 / 10 tablets = 4.0000 > maxUnitPrice 3.0000
    const high = await w.c.put(`/v1/rounds/${b.id}/bids/ATV20`, { ...m.h, ...zh }, { productId: m.products[0], packagePrice: '40.00' });
    expect(expectProblem(high, 422, 'price-above-ceiling')).toMatchObject({
      title: '报价高于最高有效申报价', detail: '差比价后的可比单价高于该品种的最高有效申报价（maxUnitPrice）3.0000',
    });
    const other = await w.c.put(`/v1/rounds/${b.id}/bids/ATV20`, { ...m.h, ...zh }, { productId: m.products[1], packagePrice: '5.00' });
    expect(expectProblem(other, 422, 'product-mismatch')).toMatchObject({ title: '产品与品种不符', detail: '该产品不是 atorvastatin calcium（tablet）' });
    await bid(w, m, b, 'ATV20', '5.00');
  });

  it('translates validation problems, their errors left as they are (paths are the API\'s field names)', async () => {
    const res = await w.c.post('/v1/rounds', { ...w.alliance.h, ...zh }, { name: 'x' });
    const p = expectProblem(res, 400, 'validation');
    expect(p).toMatchObject({ title: '请求无效', detail: '请求体不符合接口定义' });
    expect(p.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['/rules', '/bidOpensAt']));
    const en = await w.c.post('/v1/rounds', w.alliance.h, { name: 'x' });
    expect(expectProblem(en, 400, 'validation')).toMatchObject({ title: 'Invalid request', detail: 'The request body is invalid', errors: p.errors });
    const dup = await w.c.post(`/v1/rounds/${(await round(w, { state: 'draft' })).id}/items`, { ...w.alliance.h, ...zh }, item());
    expect(expectProblem(dup, 422, 'validation')).toMatchObject({ title: '输入无效', detail: '品种编码 ATV20 在本轮次中已被使用' });
  });
});

describe('problem language and translation tables', () => {
  it('picks zh-CN for any Chinese tag unless English is preferred, English by default', () => {
    expect(problemLanguage(undefined)).toBe('en');
    expect(problemLanguage('zh-CN')).toBe('zh-CN');
    expect(problemLanguage('zh')).toBe('zh-CN');
    expect(problemLanguage('zh-Hans-CN')).toBe('zh-CN');
    expect(problemLanguage('en-US,en;q=0.9,zh-CN;q=0.8')).toBe('en');
    expect(problemLanguage('fr-FR, zh-CN;q=0.5')).toBe('zh-CN');
    expect(problemLanguage('zh-CN;q=0, en')).toBe('en');
    expect(problemLanguage('de')).toBe('en');
  });

  it('fills the detail from the templates, or says what the slug means', () => {
    expect(translateZh('bidding-closed', 409, 'Bidding closed', 'Bidding closed at 2026-03-11T00:00:00.000Z'))
      .toEqual({ title: '申报已截止', detail: '申报已于 2026-03-11T00:00:00.000Z 截止' });
    expect(translateZh('forbidden', 403, 'Forbidden', 'This needs the role alliance or operator'))
      .toEqual({ title: '无权操作', detail: '此操作需要以下角色：采购联盟或运营方' });
    expect(translateZh('notice-period', 409, 'Notice period', 'something new')).toEqual({ title: '公示期内', detail: '公示期尚未结束或仍有未处理的异议' });
  });

  it('has a Chinese title for every slug the code answers', () => {
    const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
    });
    const slugs = new Set<string>(['validation', 'unauthorized', 'forbidden', 'not-found', 'invalid-state']);
    const re = /(?:conflict|unprocessable)\(\s*'([a-z-]+)'|new Problem\(\s*\d{3},\s*'([a-z-]+)'/g;
    for (const f of [...files('src'), ...files('jobs')]) {
      for (const m of readFileSync(f, 'utf8').matchAll(re)) slugs.add(m[1] ?? m[2]);
    }
    const untitled = [...slugs].filter((s) => !TITLES_ZH[s] && !TITLES_ZH[`${s}:400`]);
    expect(untitled).toEqual([]);
    expect(slugs.size).toBeGreaterThan(15);
  });
});

/** RFC 9457 problem details with the slugs of API.md. */
export interface FieldError { path?: string; line?: number; message: string }

export const MAX_ERRORS = 100;

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
  }

  /** The body, its title and detail in `lang` (type, status and errors are the same in every language). */
  toJSON(lang: Lang = 'en') {
    const text = lang === 'zh-CN' ? translateZh(this.slug, this.status, this.title, this.detail) : this;
    const body: Record<string, unknown> = {
      type: `/problems/${this.slug}`,
      title: text.title,
      status: this.status,
      detail: text.detail,
    };
    if (this.errors) body.errors = this.errors.slice(0, MAX_ERRORS);
    return body;
  }
}

export const validation = (detail: string, errors: FieldError[] = []) =>
  new Problem(400, 'validation', 'Invalid request', detail, errors);
export const invalidInput = (detail: string, errors: FieldError[] = []) =>
  new Problem(422, 'validation', 'Invalid input', detail, errors);
export const unauthorized = (detail = 'A valid bearer token is required') =>
  new Problem(401, 'unauthorized', 'Unauthorized', detail);
export const forbidden = (detail = 'Your role may not do this') =>
  new Problem(403, 'forbidden', 'Forbidden', detail);
export const notFound = (what = 'Resource') =>
  new Problem(404, 'not-found', 'Not found', `${what} not found`);
export const invalidState = (detail: string) =>
  new Problem(409, 'invalid-state', 'Invalid state', detail);
export const conflict = (slug: string, title: string, detail: string) => new Problem(409, slug, title, detail);
export const unprocessable = (slug: string, title: string, detail: string, errors?: FieldError[]) =>
  new Problem(422, slug, title, detail, errors);
export const tooLarge = (detail = 'The request body is too large') =>
  new Problem(413, 'payload-too-large', 'Payload too large', detail);
export const unsupportedMediaType = (detail: string) =>
  new Problem(415, 'unsupported-media-type', 'Unsupported media type', detail);

// ---- Chinese problems (Accept-Language: zh-CN): titles per slug, details from templates; slugs and `type` never change. ----

export type Lang = 'en' | 'zh-CN';

/** The language an Accept-Language header prefers among those the API speaks: zh-CN (any zh) or English (the default). */
export function problemLanguage(header: string | string[] | undefined): Lang {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return 'en';
  let best: { lang: Lang; q: number } = { lang: 'en', q: 0 };
  for (const part of value.split(',')) {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((x) => x.trim()).find((x) => x.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    const lang: Lang | undefined = tag === 'zh' || tag.startsWith('zh-') ? 'zh-CN' : tag === 'en' || tag.startsWith('en-') || tag === '*' ? 'en' : undefined;
    if (lang && q > best.q) best = { lang, q };
  }
  return best.lang;
}

/** Titles by slug (`slug:status` where one slug has titles per status). */
export const TITLES_ZH: Record<string, string> = {
  'validation:400': '请求无效',
  'validation:422': '输入无效',
  unauthorized: '未认证',
  forbidden: '无权操作',
  'not-found': '未找到',
  'invalid-state': '状态不允许此操作',
  'bidding-not-open': '申报尚未开始',
  'bidding-closed': '申报已截止',
  'bidding-not-closed': '申报尚未截止',
  'price-above-ceiling': '报价高于最高有效申报价',
  'product-mismatch': '产品与品种不符',
  'idempotency-conflict': '幂等键冲突',
  'idempotency-in-progress': '请求仍在处理中',
  'notice-period': '公示期内',
  'notice-closed': '公示期已结束',
  'rate-limited': '请求过于频繁',
  'payload-too-large': '请求体过大',
  'unsupported-media-type': '不支持的媒体类型',
  'bid-conflict': '并发报价冲突',
  'integrity-failure': '报价完整性校验失败',
  'request-timeout': '请求超时',
  'headers-too-large': '请求头过大',
  unavailable: '服务暂不可用',
  'opening-pending': '开标处理中',
  internal: '服务器内部错误',
};

const ROLES_ZH: Record<string, string> = { operator: '运营方', alliance: '采购联盟', hospital: '医疗机构', manufacturer: '生产企业' };
const THINGS_ZH: Record<string, string> = {
  Resource: '资源', Round: '采购轮次', Item: '品种', Organization: '机构', Token: '令牌', Product: '产品', Bid: '报价',
  Report: '报告', Objection: '异议', Enquiry: '询问',
};
const STATES_ZH: Record<string, string> = {
  draft: '草稿', demand: '需求填报', bidding: '申报', opened: '已开标', awarded: '已中选', closed: '已结束', cancelled: '已取消',
};
const PARTS_ZH: Record<string, string> = { body: '请求体', querystring: '查询参数', params: '路径参数', headers: '请求头' };
const states = (list: string) => list.split(' or ').map((s) => `${STATES_ZH[s] ?? s}（${s}）`).join('或');
const state = (s: string) => `${STATES_ZH[s] ?? s}（${s}）`;

/** Templates for the common details, matched against the English detail; the first match wins. */
const DETAILS_ZH: [RegExp, (...m: string[]) => string][] = [
  [/^A valid bearer token is required$/, () => '需要有效的 Bearer 令牌'],
  [/^The Authorization header must be "Bearer <token>"$/, () => 'Authorization 请求头的格式须为 "Bearer <令牌>"'],
  [/^The token is unknown or revoked$/, () => '令牌不存在或已被吊销'],
  [/^A token is needed to read this export until the round is awarded$/, () => '采购轮次中选前，读取此导出需要令牌'],
  [/^Your role may not do this$/, () => '您的角色无权执行此操作'],
  [/^This needs the role (.+)$/, (r) => `此操作需要以下角色：${r.split(' or ').map((x) => ROLES_ZH[x] ?? x).join('或')}`],
  [/^Only the round's alliance may do this$/, () => '只有本轮次的采购联盟可以执行此操作'],
  [/^Only a winner of this item states region preferences$/, () => '只有该品种的中选企业可以提交供应地区偏好'],
  [/^Route (\S+ \S+) not found$/, (r) => `接口 ${r} 不存在`],
  [/^(\w+) not found$/, (w) => `${THINGS_ZH[w] ?? w}不存在`],
  [/^The round is (\w+); this needs (.+)$/, (s, need) => `采购轮次当前为${state(s)}状态，此操作需要${states(need)}状态`],
  [/^Results exist once the round is opened; it is (\w+)$/, (s) => `开标后才有结果；采购轮次当前为${state(s)}状态`],
  [/^Allocations and agreements exist once the round is awarded; it is (\w+)$/, (s) => `中选后才有供应地区和约定采购量；采购轮次当前为${state(s)}状态`],
  [/^Monitoring starts once the round is awarded; it is (\w+)$/, (s) => `中选后才开始监测；采购轮次当前为${state(s)}状态`],
  [/^The round is cancelled$/, () => '采购轮次已取消'],
  [/^Bidding has not started for this round$/, () => '本轮次尚未开始申报'],
  [/^Bidding for this round is over$/, () => '本轮次申报已结束'],
  [/^Bidding opens at (\S+)$/, (t) => `申报于 ${t} 开始`],
  [/^Bidding closed at (\S+)$/, (t) => `申报已于 ${t} 截止`],
  [/^The bid window has already closed/, () => '申报窗口已经关闭；请在草稿状态修改 bidClosesAt，或取消本轮次'],
  [/^Bids can be opened from (\S+)$/, (t) => `自 ${t} 起方可开标`],
  [/^Bids are sealed until the round is opened$/, () => '开标前报价密封，不可查看'],
  [/^The comparable unit price is above the item's maxUnitPrice (\S+)$/, (p) => `差比价后的可比单价高于该品种的最高有效申报价（maxUnitPrice）${p}`],
  [/^Product (\S+) does not exist$/, (p) => `产品 ${p} 不存在`],
  [/^The product is another manufacturer's$/, () => '该产品属于其他生产企业'],
  [/^The product is not (.+) \((.+)\)$/, (n, f) => `该产品不是 ${n}（${f}）`],
  [/^The product's strength cannot be converted to the item's reference strength$/, () => '该产品的规格无法换算为品种的参比规格'],
  [/^The sealed bid of (\S+) for (\S+) does not decrypt$/, (m, i) => `${m} 对品种 ${i} 的密封报价无法解密`],
  [/^The bid of (\S+) for (\S+) does not match its receipt digest$/, (m, i) => `${m} 对品种 ${i} 的报价与其回执摘要不符`],
  [/^Another write of this bid won the race/, () => '同一报价的另一次写入已先完成；请重新提交'],
  [/^This Idempotency-Key was used with another request body$/, () => '此 Idempotency-Key 已用于另一个请求体'],
  [/^A request with this Idempotency-Key is still being handled/, () => '使用此 Idempotency-Key 的请求仍在处理中；请稍后重试'],
  [/^Idempotency-Key must be 1 to 255 characters$/, () => 'Idempotency-Key 须为 1 至 255 个字符'],
  [/^The request (\w+) is invalid$/, (part) => `${PARTS_ZH[part] ?? part}不符合接口定义`],
  [/^The JSON body is empty$/, () => 'JSON 请求体为空'],
  [/^The request body is not valid JSON$/, () => '请求体不是有效的 JSON'],
  [/^The JSON body is nested deeper than (\d+) levels$/, (n) => `JSON 请求体嵌套超过 ${n} 层`],
  [/^The cursor is not one this server issued$/, () => '游标无效：不是本服务签发的'],
  [/^The request body is too large$/, () => '请求体过大'],
  [/^Bulk uploads are limited to (\d+) bytes$/, (n) => `批量上传最多 ${n} 字节`],
  [/^An upload holds at most (\d+) records; nothing was written$/, (n) => `一次上传最多 ${n} 条记录；未写入任何数据`],
  [/^(\d+) (line|element)\(s\) of the upload are invalid; nothing was written$/, (n, what) => `上传内容中有 ${n} ${what === 'line' ? '行' : '个元素'}无效；未写入任何数据`],
  [/^The upload has no records$/, () => '上传内容没有记录'],
  [/^The upload is empty/, () => '上传内容为空：CSV 上传须以表头行开始'],
  [/^The CSV header cannot be read$/, () => '无法读取 CSV 表头'],
  [/^The CSV header is invalid$/, () => 'CSV 表头无效'],
  [/^The body is not a JSON array of objects$/, () => '请求体不是由对象组成的 JSON 数组'],
  [/^The body is not valid UTF-8$/, () => '请求体不是有效的 UTF-8'],
  [/^This route takes (.+)$/, (types) => `此接口只接受 ${types}`],
  [/^Send application\/json/, () => '请发送 application/json（批量接口另可发送 text/csv 或 application/x-ndjson）'],
  [/^At most (\d+) requests per (\d+) s per token; retry after (.+)$/, (n, s, after) => `每个令牌每 ${s} 秒最多 ${n} 次请求；请在 ${after} 后重试`],
  [/^Slow down and retry later$/, () => '请求过于频繁，请稍后重试'],
  [/^The database is not reachable at the moment/, () => '数据库暂时无法访问；未写入任何数据，请重新发送请求'],
  [/^The server failed to handle this request$/, () => '服务器未能处理此请求'],
  [/^bidClosesAt must be after bidOpensAt$/, () => 'bidClosesAt 须晚于 bidOpensAt'],
  [/^until must be after from$/, () => 'until 须晚于 from'],
  [/^The rules are invalid$/, () => '规则无效'],
  [/^The operator names the alliance$/, () => '运营方须通过 allianceId 指定采购联盟'],
  [/^An alliance creates rounds for itself$/, () => '采购联盟只能为自己创建采购轮次'],
  [/^No such alliance$/, () => '采购联盟不存在'],
  [/^No such manufacturer$/, () => '生产企业不存在'],
  [/^The (item|organization|product) is invalid$/, (w) => `${{ item: '品种', organization: '机构', product: '产品' }[w]}信息无效`],
  [/^Item code (\S+) is already used in this round$/, (c) => `品种编码 ${c} 在本轮次中已被使用`],
  [/^A round holds at most (\d+) items$/, (n) => `一个采购轮次最多包含 ${n} 个品种`],
  [/^externalId (.+) is taken$/, (id) => `externalId ${id} 已被使用`],
];

/** A detail without a template: what the slug means, in Chinese. */
const FALLBACK_ZH: Record<string, string> = {
  validation: '请求或输入无效，详见 errors', unauthorized: '需要有效的令牌', forbidden: '您的角色无权执行此操作', 'not-found': '资源不存在或您无权查看',
  'invalid-state': '采购轮次的当前状态不允许此操作', 'bidding-not-open': '申报尚未开始', 'bidding-closed': '申报已截止', 'bidding-not-closed': '申报尚未截止，不能开标',
  'price-above-ceiling': '差比价后的可比单价高于最高有效申报价', 'product-mismatch': '产品的通用名、剂型或规格与品种不符',
  'idempotency-conflict': '此 Idempotency-Key 已用于另一个请求体', 'notice-period': '公示期尚未结束或仍有未处理的异议', 'notice-closed': '不在公示期内',
  'rate-limited': '请求过于频繁，请稍后重试', unavailable: '服务暂不可用，请重新发送请求',
  'opening-pending': '正在开标；开标完成后 GET /results 即可查看（再次 POST /open 会等待同一次开标）',
};

/** The Chinese title and detail of a problem (English ones where no translation exists). */
export function translateZh(slug: string, status: number, title: string, detail: string): { title: string; detail: string } {
  const zhTitle = TITLES_ZH[`${slug}:${status}`] ?? TITLES_ZH[slug] ?? title;
  for (const [re, make] of DETAILS_ZH) {
    const m = re.exec(detail);
    if (m) return { title: zhTitle, detail: make(...m.slice(1)) };
  }
  return { title: zhTitle, detail: FALLBACK_ZH[slug] ?? zhTitle };
}

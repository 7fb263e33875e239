import { Type } from '@sinclair/typebox';
import { PageQuery, pageOf } from '../http/pagination.js';
import { Decimal4, NullableDecimal4 } from '../http/schemas.js';
import { YearMonth } from '../rounds/schemas.js';
import { ALERT_TYPES } from '../rules/monitoring.js';

export const MonitoringQuery = Type.Object({
  asOf: Type.Optional(YearMonth),
  groupBy: Type.Union([Type.Literal('item'), Type.Literal('hospital'), Type.Literal('region'), Type.Literal('manufacturer')], { default: 'item' }),
});

const Figures = {
  agreedQuantity: Type.Integer(), expected: Decimal4, used: Type.Integer(), nonWinningUsed: Type.Integer(), ordered: Type.Integer(),
  completion: NullableDecimal4, progress: NullableDecimal4, fulfilment: NullableDecimal4, amount: Decimal4, savings: Decimal4,
};

export const MonitoringRow = Type.Object({
  key: Type.String({ description: 'itemCode, hospitalId, province code (440000) or manufacturerId' }),
  ...Figures,
  paidUnitPrice: Type.Union([Decimal4, Type.Null()], { description: 'grouped by item only' }),
  actualDrop: Type.Union([Decimal4, Type.Null()], { description: 'grouped by item only' }),
});

export const Monitoring = Type.Object({ asOf: YearMonth, monthsElapsed: Type.Integer({ minimum: 0 }), rows: Type.Array(MonitoringRow) });

export const AlertType = Type.Union(ALERT_TYPES.map((t) => Type.Literal(t)));

export const AlertQuery = Type.Object({ asOf: Type.Optional(YearMonth), type: Type.Optional(AlertType), ...PageQuery });

export const Alert = Type.Object({
  type: AlertType, hospitalId: Type.String(), manufacturerId: Type.String(), itemCode: Type.String(),
  period: Type.Optional(YearMonth), value: Decimal4, threshold: Decimal4,
});
export const AlertPage = pageOf(Alert);

export const PriceHistoryQuery = Type.Object({
  genericName: Type.String({ minLength: 1, maxLength: 200 }), dosageForm: Type.String({ minLength: 1, maxLength: 100 }),
});

export const PriceHistory = Type.Object({
  genericName: Type.String(), dosageForm: Type.String(),
  rounds: Type.Array(Type.Object({
    roundId: Type.String(), roundName: Type.String(), itemCode: Type.String(), awardedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    baselineUnitPrice: Decimal4, averageWinningPrice: NullableDecimal4, priceDrop: NullableDecimal4,
    winners: Type.Array(Type.Object({ manufacturerId: Type.String(), comparableUnitPrice: Decimal4 })),
  })),
  months: Type.Array(Type.Object({
    roundId: Type.String(), itemCode: Type.String(), period: YearMonth, used: Type.Integer(), amount: Decimal4, paidUnitPrice: NullableDecimal4,
  })),
});

export const UploadResult = Type.Object({ rows: Type.Integer() });

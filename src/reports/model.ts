import type { reports } from '../db/schema.js';

export const KINDS = ['round_summary', 'monitoring'] as const;
export type ReportKind = (typeof KINDS)[number];
export const FORMATS = ['json', 'csv', 'xlsx', 'html'] as const;
export type ReportFormat = (typeof FORMATS)[number];

export type ReportRow = typeof reports.$inferSelect;

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  html: 'text/html; charset=utf-8',
};

/** The outbox kind of report jobs. */
export const REPORT_JOB = 'report';

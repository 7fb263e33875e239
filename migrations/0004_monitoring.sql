-- Monitoring of the contract period (DOMAIN.md "Monitoring"). Integer keys only: a national round has
-- 3,000,000 agreements and as many usage rows a month. `period` is a month number, year × 12 + month − 1
-- (2026-01 → 24312), so a month is two bytes and months compare and subtract as integers.
CREATE TABLE "usage" (
	"round_no" integer NOT NULL,
	"hospital_no" integer NOT NULL,
	-- 0: bought without a product of the platform (off the platform).
	"product_no" integer NOT NULL,
	"ordered" integer NOT NULL,
	"received" integer NOT NULL,
	"item_no" smallint NOT NULL,
	"period" smallint NOT NULL,
	"amount" numeric NOT NULL,
	CONSTRAINT "usage_pk" PRIMARY KEY("round_no","hospital_no","item_no","period","product_no"),
	CONSTRAINT "usage_quantities_check" CHECK ("ordered" >= 0 AND "received" >= 0 AND "amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"round_no" integer NOT NULL,
	"hospital_no" integer NOT NULL,
	"shipped" integer NOT NULL,
	"item_no" smallint NOT NULL,
	"period" smallint NOT NULL,
	CONSTRAINT "deliveries_pk" PRIMARY KEY("round_no","hospital_no","item_no","period"),
	CONSTRAINT "deliveries_shipped_check" CHECK ("shipped" >= 0)
);
--> statement-breakpoint
-- The round's agreements as integers, written once per round at its first monitoring read or write
-- (agreements are frozen at award; award itself writes only hundreds of rows and stays fast).
CREATE TABLE "monitoring_rounds" (
	"round_no" integer PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE "monitoring_agreements" (
	"round_no" integer NOT NULL,
	"hospital_no" integer NOT NULL,
	"manufacturer_no" integer NOT NULL,
	"product_no" integer NOT NULL,
	"agreed" integer NOT NULL,
	"item_no" smallint NOT NULL,
	"province" smallint NOT NULL,
	CONSTRAINT "monitoring_agreements_pk" PRIMARY KEY("round_no","hospital_no","item_no")
);
--> statement-breakpoint
CREATE INDEX "monitoring_agreements_manufacturer_idx" ON "monitoring_agreements" ("round_no","manufacturer_no","hospital_no","item_no");
--> statement-breakpoint
-- Agreed quantities per (item, province, manufacturer) and per hospital: the fixed half of every group row.
CREATE TABLE "monitoring_agreed" (
	"round_no" integer NOT NULL,
	"manufacturer_no" integer NOT NULL,
	"agreements" integer NOT NULL,
	"agreed" bigint NOT NULL,
	"item_no" smallint NOT NULL,
	"province" smallint NOT NULL,
	CONSTRAINT "monitoring_agreed_pk" PRIMARY KEY("round_no","item_no","province","manufacturer_no")
);
--> statement-breakpoint
CREATE TABLE "monitoring_agreed_hospitals" (
	"round_no" integer NOT NULL,
	"hospital_no" integer NOT NULL,
	"agreements" integer NOT NULL,
	"agreed" bigint NOT NULL,
	CONSTRAINT "monitoring_agreed_hospitals_pk" PRIMARY KEY("round_no","hospital_no")
);
--> statement-breakpoint
-- Rollups kept by every usage upload (its deltas, in the same statement): per month and
-- (item, province, manufacturer), and per month and hospital, of the agreements' usage.
-- used/ordered/amount count the agreement's own product; non_winning any other or no product;
-- baseline_amount = Σ baselineUnitPrice × used (savings = baseline_amount − amount).
CREATE TABLE "monitoring_groups" (
	"round_no" integer NOT NULL,
	"manufacturer_no" integer NOT NULL,
	"used" bigint NOT NULL,
	"non_winning" bigint NOT NULL,
	"ordered" bigint NOT NULL,
	"period" smallint NOT NULL,
	"item_no" smallint NOT NULL,
	"province" smallint NOT NULL,
	"amount" numeric NOT NULL,
	CONSTRAINT "monitoring_groups_pk" PRIMARY KEY("round_no","period","item_no","province","manufacturer_no")
);
--> statement-breakpoint
CREATE TABLE "monitoring_hospitals" (
	"round_no" integer NOT NULL,
	"hospital_no" integer NOT NULL,
	"used" bigint NOT NULL,
	"non_winning" bigint NOT NULL,
	"ordered" bigint NOT NULL,
	"period" smallint NOT NULL,
	"amount" numeric NOT NULL,
	"baseline_amount" numeric NOT NULL,
	CONSTRAINT "monitoring_hospitals_pk" PRIMARY KEY("round_no","hospital_no","period")
);
--> statement-breakpoint
-- a / b to 4 places, half up (away from zero), exactly: an integer quotient, no intermediate rounding.
-- The SQL twin of src/rules/monitoring.ts ratio4 (test/api/rule-twins.test.ts checks they agree).
CREATE FUNCTION "ratio4"(a numeric, b numeric) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN b = 0 THEN NULL
    ELSE round(sign(a) * sign(b) * div(abs(a) * 20000 + abs(b), 2 * abs(b)) / 10000.0, 4) END
$$;
--> statement-breakpoint
-- A month number as YYYY-MM.
CREATE FUNCTION "period_text"(p integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lpad((p / 12)::text, 4, '0') || '-' || lpad((p % 12 + 1)::text, 2, '0')
$$;

CREATE SEQUENCE "public"."bid_submission_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "allocations" (
	"round_id" text NOT NULL,
	"item_code" text NOT NULL,
	"region_code" text NOT NULL,
	"manufacturer_id" text NOT NULL,
	"product_id" text NOT NULL,
	CONSTRAINT "allocations_round_id_item_code_region_code_pk" PRIMARY KEY("round_id","item_code","region_code")
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"chain" text NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"at" text NOT NULL,
	"actor" text NOT NULL,
	"data" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_events_chain_seq_pk" PRIMARY KEY("chain","seq")
);
--> statement-breakpoint
CREATE TABLE "audit_heads" (
	"chain" text PRIMARY KEY NOT NULL,
	"seq" integer NOT NULL,
	"hash" text NOT NULL,
	"prev_hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_pending" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"chain" text NOT NULL,
	"type" text NOT NULL,
	"at" text NOT NULL,
	"actor" text NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "award_totals" (
	"round_id" text NOT NULL,
	"item_code" text NOT NULL,
	"manufacturer_id" text NOT NULL,
	"hospitals" integer NOT NULL,
	"agreed_quantity" bigint NOT NULL,
	"amount" numeric NOT NULL,
	"baseline_amount" numeric NOT NULL,
	CONSTRAINT "award_totals_round_id_item_code_manufacturer_id_pk" PRIMARY KEY("round_id","item_code","manufacturer_id")
);
--> statement-breakpoint
CREATE TABLE "bid_results" (
	"round_id" text NOT NULL,
	"item_code" text NOT NULL,
	"manufacturer_id" text NOT NULL,
	"product_id" text NOT NULL,
	"package_price" numeric NOT NULL,
	"unit_price" numeric NOT NULL,
	"comparable_unit_price" numeric NOT NULL,
	"eligible" boolean NOT NULL,
	"reason" text,
	"candidate_by" text,
	"rank" integer,
	"winner" boolean NOT NULL,
	"salt" text NOT NULL,
	"digest" text NOT NULL,
	"submission_seq" bigint NOT NULL,
	CONSTRAINT "bid_results_round_id_item_code_manufacturer_id_pk" PRIMARY KEY("round_id","item_code","manufacturer_id")
);
--> statement-breakpoint
CREATE TABLE "bids" (
	"round_id" text NOT NULL,
	"item_code" text NOT NULL,
	"manufacturer_id" text NOT NULL,
	"product_id" text NOT NULL,
	"sealed" text NOT NULL,
	"digest" text NOT NULL,
	"version" integer NOT NULL,
	"submission_seq" bigint NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	"withdrawn" boolean DEFAULT false NOT NULL,
	CONSTRAINT "bids_round_id_item_code_manufacturer_id_pk" PRIMARY KEY("round_id","item_code","manufacturer_id")
);
--> statement-breakpoint
CREATE TABLE "demand" (
	"round_id" text NOT NULL,
	"item_code" text NOT NULL,
	"hospital_id" text NOT NULL,
	"quantity" integer NOT NULL,
	"preferred_manufacturer_id" text,
	CONSTRAINT "demand_round_id_hospital_id_item_code_pk" PRIMARY KEY("round_id","hospital_id","item_code")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer NOT NULL,
	"headers" jsonb NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "item_results" (
	"round_id" text NOT NULL,
	"item_code" text NOT NULL,
	"outcome" text NOT NULL,
	"eligible_bidders" integer NOT NULL,
	"lowest" numeric,
	"anchor" numeric,
	"max_winners" integer,
	"agreed_volume_ratio" numeric,
	"total_demand" bigint NOT NULL,
	"price_drop" numeric,
	CONSTRAINT "item_results_round_id_item_code_pk" PRIMARY KEY("round_id","item_code")
);
--> statement-breakpoint
CREATE TABLE "items" (
	"round_id" text NOT NULL,
	"code" text NOT NULL,
	"generic_name" text NOT NULL,
	"dosage_form" text NOT NULL,
	"category" text NOT NULL,
	"unit" text NOT NULL,
	"reference_strength_value" numeric,
	"reference_strength_unit" text,
	"strength_price_ratio" numeric NOT NULL,
	"max_unit_price" numeric NOT NULL,
	"baseline_unit_price" numeric NOT NULL,
	"agreed_volume_ratio" numeric,
	"eligible_quality_tiers" text[],
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "items_round_id_code_pk" PRIMARY KEY("round_id","code")
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"region_code" text NOT NULL,
	"region_codes" text[],
	"external_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "products" (
	"id" text PRIMARY KEY NOT NULL,
	"manufacturer_id" text NOT NULL,
	"generic_name" text NOT NULL,
	"dosage_form" text NOT NULL,
	"category" text NOT NULL,
	"strength_value" numeric,
	"strength_unit" text,
	"pack_size" integer NOT NULL,
	"approval_number" text NOT NULL,
	"quality_tier" text NOT NULL,
	"verified" boolean DEFAULT false NOT NULL,
	"verified_at" timestamp with time zone,
	"verified_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "region_preferences" (
	"round_id" text NOT NULL,
	"item_code" text NOT NULL,
	"manufacturer_id" text NOT NULL,
	"region_codes" text[] NOT NULL,
	CONSTRAINT "region_preferences_round_id_item_code_manufacturer_id_pk" PRIMARY KEY("round_id","item_code","manufacturer_id")
);
--> statement-breakpoint
CREATE TABLE "rounds" (
	"id" text PRIMARY KEY NOT NULL,
	"alliance_id" text NOT NULL,
	"name" text NOT NULL,
	"state" text NOT NULL,
	"rules" jsonb NOT NULL,
	"bid_opens_at" timestamp with time zone NOT NULL,
	"bid_closes_at" timestamp with time zone NOT NULL,
	"contract_months" integer NOT NULL,
	"contract_start" text,
	"region_codes" text[] NOT NULL,
	"bid_public_key" text NOT NULL,
	"wrapped_round_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"opened_at" timestamp with time zone,
	"awarded_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "suspensions" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"from" timestamp with time zone NOT NULL,
	"until" timestamp with time zone,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_round_id_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."rounds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_manufacturer_id_organizations_id_fk" FOREIGN KEY ("manufacturer_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rounds" ADD CONSTRAINT "rounds_alliance_id_organizations_id_fk" FOREIGN KEY ("alliance_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suspensions" ADD CONSTRAINT "suspensions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tokens" ADD CONSTRAINT "tokens_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_pending_chain_idx" ON "audit_pending" USING btree ("chain","id");--> statement-breakpoint
CREATE INDEX "idempotency_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "organizations_external_id_key" ON "organizations" USING btree ("external_id");--> statement-breakpoint
CREATE INDEX "organizations_kind_region_idx" ON "organizations" USING btree ("kind","region_code");--> statement-breakpoint
CREATE INDEX "products_manufacturer_idx" ON "products" USING btree ("manufacturer_id");--> statement-breakpoint
CREATE INDEX "products_generic_idx" ON "products" USING btree ("generic_name");--> statement-breakpoint
CREATE INDEX "rounds_alliance_idx" ON "rounds" USING btree ("alliance_id");--> statement-breakpoint
CREATE INDEX "suspensions_org_idx" ON "suspensions" USING btree ("organization_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tokens_hash_key" ON "tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE VIEW "public"."agreements" AS (
  SELECT d.round_id, d.item_code, d.hospital_id, w.manufacturer_id, w.product_id, d.quantity AS demand,
         round(d.quantity * ir.agreed_volume_ratio)::int AS agreed_quantity, w.unit_price, w.comparable_unit_price
    FROM demand d
    JOIN rounds r ON r.id = d.round_id
    JOIN organizations h ON h.id = d.hospital_id
    JOIN item_results ir ON ir.round_id = d.round_id AND ir.item_code = d.item_code AND ir.outcome = 'awarded'
    JOIN allocations a ON a.round_id = d.round_id AND a.item_code = d.item_code
     AND a.region_code = CASE WHEN r.rules->>'regionLevel' = 'city' THEN substr(h.region_code, 1, 4) || '00'
                              ELSE substr(h.region_code, 1, 2) || '0000' END
    LEFT JOIN bid_results pw ON pw.round_id = d.round_id AND pw.item_code = d.item_code
     AND pw.manufacturer_id = d.preferred_manufacturer_id AND pw.winner
    JOIN bid_results w ON w.round_id = d.round_id AND w.item_code = d.item_code
     AND w.manufacturer_id = coalesce(pw.manufacturer_id, a.manufacturer_id));
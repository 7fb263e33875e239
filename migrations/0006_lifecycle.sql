ALTER TABLE "rounds" ADD COLUMN "auto_start_bidding" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "rounds" ADD COLUMN "auto_open" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "rounds" ADD COLUMN "notice_ends_at" timestamp with time zone;--> statement-breakpoint
UPDATE "rounds" SET "rules" = "rules" || '{"noticeMinutes": 0}'::jsonb WHERE NOT ("rules" ? 'noticeMinutes');--> statement-breakpoint
CREATE TABLE "objections" (
	"id" text PRIMARY KEY NOT NULL,
	"round_id" text NOT NULL,
	"item_code" text NOT NULL,
	"manufacturer_id" text NOT NULL,
	"filed_by" text NOT NULL,
	"reason" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"decision_reason" text,
	"filed_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "objections_round_idx" ON "objections" USING btree ("round_id","id");--> statement-breakpoint
CREATE TABLE "enquiries" (
	"id" text PRIMARY KEY NOT NULL,
	"round_id" text NOT NULL,
	"item_code" text,
	"question" text NOT NULL,
	"asked_by" text NOT NULL,
	"asked_at" timestamp with time zone NOT NULL,
	"answer" text,
	"answered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "enquiries_round_idx" ON "enquiries" USING btree ("round_id","id");

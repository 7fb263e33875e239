-- Round reports (API.md "Reports, export, audit"): one row per request, its file in chunks beside it.
CREATE TABLE "reports" (
	"id" text PRIMARY KEY NOT NULL,
	"round_id" text NOT NULL REFERENCES "rounds"("id"),
	"requester_id" text REFERENCES "organizations"("id"),
	"kind" text NOT NULL,
	"format" text NOT NULL,
	"as_of" text,
	"status" text DEFAULT 'queued' NOT NULL,
	"progress" smallint DEFAULT 0 NOT NULL,
	"error" text,
	"generation" text,
	"size" bigint,
	"created_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "reports_round_idx" ON "reports" ("round_id", "created_at" DESC, "id" DESC);
--> statement-breakpoint
CREATE INDEX "reports_requester_idx" ON "reports" ("requester_id", "created_at" DESC, "id" DESC);
--> statement-breakpoint
-- A file is written in pieces of a few hundred kilobytes under a generation of its own (one per run of the job);
-- the run that finishes first names its generation on the report, so a job run twice keeps one file.
CREATE TABLE "report_chunks" (
	"report_id" text NOT NULL REFERENCES "reports"("id") ON DELETE CASCADE,
	"generation" text NOT NULL,
	"seq" integer NOT NULL,
	"data" bytea NOT NULL,
	CONSTRAINT "report_chunks_pk" PRIMARY KEY("report_id","generation","seq")
);

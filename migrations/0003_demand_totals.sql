CREATE TABLE "demand_totals" (
	"round_no" integer NOT NULL,
	"hospitals" integer NOT NULL,
	"quantity" bigint NOT NULL,
	"item_no" smallint NOT NULL,
	CONSTRAINT "demand_totals_round_no_item_no_pk" PRIMARY KEY("round_no","item_no")
);
--> statement-breakpoint
-- Existing rounds: their totals from their demand.
INSERT INTO "demand_totals" (round_no, hospitals, quantity, item_no)
SELECT round_no, count(*)::int, sum(quantity), item_no FROM "demand" GROUP BY round_no, item_no;

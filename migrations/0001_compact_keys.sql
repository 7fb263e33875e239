-- Compact keys (issue: national-scale storage). Written from drizzle-kit's diff and extended by hand so that
-- existing data is carried over: entities get integer numbers in the order of their ids, demand and
-- allocations are rewritten with integer keys, and the winners of awarded rounds are copied into award_winners.
DROP VIEW "public"."agreements";--> statement-breakpoint
-- Numbers for existing rows in id order (ids are time-ordered), then the identity takes over from the highest.
ALTER TABLE "organizations" ADD COLUMN "no" integer;--> statement-breakpoint
UPDATE "organizations" o SET "no" = n.no FROM (SELECT id, row_number() OVER (ORDER BY id)::int AS no FROM "organizations") n WHERE n.id = o.id;--> statement-breakpoint
ALTER TABLE "organizations" ALTER COLUMN "no" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ALTER COLUMN "no" ADD GENERATED ALWAYS AS IDENTITY (sequence name "organizations_no_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1);--> statement-breakpoint
SELECT setval('organizations_no_seq', coalesce((SELECT max("no") FROM "organizations"), 0) + 1, false);--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "province" smallint GENERATED ALWAYS AS (substr(region_code, 1, 2)::smallint) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "city" smallint GENERATED ALWAYS AS (substr(region_code, 1, 4)::smallint) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "no" integer;--> statement-breakpoint
UPDATE "products" p SET "no" = n.no FROM (SELECT id, row_number() OVER (ORDER BY id)::int AS no FROM "products") n WHERE n.id = p.id;--> statement-breakpoint
ALTER TABLE "products" ALTER COLUMN "no" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ALTER COLUMN "no" ADD GENERATED ALWAYS AS IDENTITY (sequence name "products_no_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1);--> statement-breakpoint
SELECT setval('products_no_seq', coalesce((SELECT max("no") FROM "products"), 0) + 1, false);--> statement-breakpoint
ALTER TABLE "rounds" ADD COLUMN "no" integer;--> statement-breakpoint
UPDATE "rounds" r SET "no" = n.no FROM (SELECT id, row_number() OVER (ORDER BY id)::int AS no FROM "rounds") n WHERE n.id = r.id;--> statement-breakpoint
ALTER TABLE "rounds" ALTER COLUMN "no" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "rounds" ALTER COLUMN "no" ADD GENERATED ALWAYS AS IDENTITY (sequence name "rounds_no_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1);--> statement-breakpoint
SELECT setval('rounds_no_seq', coalesce((SELECT max("no") FROM "rounds"), 0) + 1, false);--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "no" smallint;--> statement-breakpoint
UPDATE "items" i SET "no" = n.no FROM (SELECT round_id, code, row_number() OVER (PARTITION BY round_id ORDER BY created_at, code)::smallint AS no FROM "items") n
 WHERE n.round_id = i.round_id AND n.code = i.code;--> statement-breakpoint
ALTER TABLE "items" ALTER COLUMN "no" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "organizations_no_key" ON "organizations" USING btree ("no");--> statement-breakpoint
CREATE UNIQUE INDEX "products_no_key" ON "products" USING btree ("no");--> statement-breakpoint
CREATE UNIQUE INDEX "rounds_no_key" ON "rounds" USING btree ("no");--> statement-breakpoint
CREATE UNIQUE INDEX "items_round_no_key" ON "items" USING btree ("round_id","no");--> statement-breakpoint
-- demand: text keys → integer keys.
ALTER TABLE "demand" RENAME TO "demand_text";--> statement-breakpoint
ALTER TABLE "demand_text" RENAME CONSTRAINT "demand_round_id_hospital_id_item_code_pk" TO "demand_text_pk";--> statement-breakpoint
CREATE TABLE "demand" (
	"round_no" integer NOT NULL,
	"hospital_no" integer NOT NULL,
	"quantity" integer NOT NULL,
	"item_no" smallint NOT NULL,
	"preferred_no" integer,
	CONSTRAINT "demand_round_no_hospital_no_item_no_pk" PRIMARY KEY("round_no","hospital_no","item_no"),
	CONSTRAINT "demand_quantity_check" CHECK ("demand"."quantity" > 0)
);
--> statement-breakpoint
INSERT INTO "demand" (round_no, hospital_no, quantity, item_no, preferred_no)
SELECT r.no, h.no, d.quantity, i.no, m.no
  FROM "demand_text" d
  JOIN "rounds" r ON r.id = d.round_id
  JOIN "organizations" h ON h.id = d.hospital_id
  JOIN "items" i ON i.round_id = d.round_id AND i.code = d.item_code
  LEFT JOIN "organizations" m ON m.id = d.preferred_manufacturer_id
 ORDER BY r.no, h.no, i.no;--> statement-breakpoint
DROP TABLE "demand_text";--> statement-breakpoint
CREATE INDEX "demand_preferred_idx" ON "demand" USING btree ("round_no","preferred_no","hospital_no","item_no") WHERE "demand"."preferred_no" IS NOT NULL;--> statement-breakpoint
-- allocations: text keys → integer keys; the unit is the province or city number of the region code.
ALTER TABLE "allocations" RENAME TO "allocations_text";--> statement-breakpoint
ALTER TABLE "allocations_text" RENAME CONSTRAINT "allocations_round_id_item_code_region_code_pk" TO "allocations_text_pk";--> statement-breakpoint
CREATE TABLE "allocations" (
	"round_no" integer NOT NULL,
	"unit" smallint NOT NULL,
	"item_no" smallint NOT NULL,
	"manufacturer_no" integer NOT NULL,
	"product_no" integer NOT NULL,
	CONSTRAINT "allocations_round_no_item_no_unit_pk" PRIMARY KEY("round_no","item_no","unit")
);
--> statement-breakpoint
INSERT INTO "allocations" (round_no, unit, item_no, manufacturer_no, product_no)
SELECT r.no, CASE WHEN r.rules->>'regionLevel' = 'city' THEN substr(a.region_code, 1, 4) ELSE substr(a.region_code, 1, 2) END::smallint,
       i.no, m.no, p.no
  FROM "allocations_text" a
  JOIN "rounds" r ON r.id = a.round_id
  JOIN "items" i ON i.round_id = a.round_id AND i.code = a.item_code
  JOIN "organizations" m ON m.id = a.manufacturer_id
  JOIN "products" p ON p.id = a.product_id;--> statement-breakpoint
DROP TABLE "allocations_text";--> statement-breakpoint
CREATE TABLE "award_winners" (
	"round_no" integer NOT NULL,
	"manufacturer_no" integer NOT NULL,
	"product_no" integer NOT NULL,
	"item_no" smallint NOT NULL,
	"rank" smallint NOT NULL,
	"agreed_volume_ratio" numeric NOT NULL,
	"unit_price" numeric NOT NULL,
	"comparable_unit_price" numeric NOT NULL,
	CONSTRAINT "award_winners_round_no_item_no_manufacturer_no_pk" PRIMARY KEY("round_no","item_no","manufacturer_no")
);
--> statement-breakpoint
INSERT INTO "award_winners" (round_no, manufacturer_no, product_no, item_no, rank, agreed_volume_ratio, unit_price, comparable_unit_price)
SELECT r.no, m.no, p.no, i.no, b.rank, ir.agreed_volume_ratio, b.unit_price, b.comparable_unit_price
  FROM "bid_results" b
  JOIN "rounds" r ON r.id = b.round_id AND r.state IN ('awarded', 'closed')
  JOIN "item_results" ir ON ir.round_id = b.round_id AND ir.item_code = b.item_code AND ir.outcome = 'awarded'
  JOIN "items" i ON i.round_id = b.round_id AND i.code = b.item_code
  JOIN "organizations" m ON m.id = b.manufacturer_id
  JOIN "products" p ON p.id = b.product_id
 WHERE b.winner;--> statement-breakpoint
CREATE VIEW "public"."agreements" AS (
  SELECT d.round_no, d.hospital_no, d.item_no, w.manufacturer_no, w.product_no, d.quantity AS demand,
         round(d.quantity * w.agreed_volume_ratio)::int AS agreed_quantity, w.unit_price, w.comparable_unit_price
    FROM demand d
    JOIN rounds r ON r.no = d.round_no
    JOIN organizations h ON h.no = d.hospital_no
    JOIN allocations a ON a.round_no = d.round_no AND a.item_no = d.item_no
     AND a.unit = CASE WHEN r.rules->>'regionLevel' = 'city' THEN h.city ELSE h.province END
    LEFT JOIN award_winners pw ON pw.round_no = d.round_no AND pw.item_no = d.item_no AND pw.manufacturer_no = d.preferred_no
    JOIN award_winners w ON w.round_no = d.round_no AND w.item_no = d.item_no
     AND w.manufacturer_no = coalesce(pw.manufacturer_no, a.manufacturer_no));

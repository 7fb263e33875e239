-- demand carries its hospital's city (organizations.city: an organization's region never changes), so
-- that award groups the round's demand by supply unit (province = city / 100, or the city) in one scan,
-- without a hash join of every line to its hospital: at national scale (3,000,000 lines) the stage
-- took 1.27 s with the join and 1.02 s without (median of 5, docs/benchmarks.md). The column fills
-- the row's alignment padding: a line still takes 40 bytes (44 with a preferred manufacturer).
ALTER TABLE "demand" ADD COLUMN "city" smallint;--> statement-breakpoint
UPDATE "demand" d SET city = h.city FROM "organizations" h WHERE h.no = d.hospital_no;--> statement-breakpoint
ALTER TABLE "demand" ALTER COLUMN "city" SET NOT NULL;

-- Every month's usage of a hospital's agreements, summed, beside its agreed quantity: GET /monitoring by
-- hospital at an asOf on or after the round's last reported month reads these 50,000 rows as they are,
-- where summing the month × hospital rollup costs ~0.6 s at national scale (600,000 rows, numeric sums).
-- Usage uploads add their deltas here in the same statement as the other rollups.
ALTER TABLE "monitoring_agreed_hospitals" ADD COLUMN "used" bigint NOT NULL DEFAULT 0,
  ADD COLUMN "non_winning" bigint NOT NULL DEFAULT 0, ADD COLUMN "ordered" bigint NOT NULL DEFAULT 0,
  ADD COLUMN "amount" numeric NOT NULL DEFAULT 0, ADD COLUMN "baseline_amount" numeric NOT NULL DEFAULT 0;
--> statement-breakpoint
-- Rounds monitored before this migration: their totals from the month × hospital rollup.
UPDATE "monitoring_agreed_hospitals" t
   SET "used" = h.used, "non_winning" = h.non_winning, "ordered" = h.ordered, "amount" = h.amount, "baseline_amount" = h.baseline_amount
  FROM (SELECT round_no, hospital_no, sum(used) AS used, sum(non_winning) AS non_winning, sum(ordered) AS ordered,
               sum(amount) AS amount, sum(baseline_amount) AS baseline_amount
          FROM "monitoring_hospitals" GROUP BY round_no, hospital_no) h
 WHERE h.round_no = t.round_no AND h.hospital_no = t.hospital_no;

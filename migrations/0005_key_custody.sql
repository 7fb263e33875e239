-- Round keys are sealed to the opening key named here; NULL marks a key wrapped by the old JICAI_BID_KEK
-- (scripts/rotate-opening-key.ts --legacy-kek re-seals them).
ALTER TABLE "rounds" ADD COLUMN "round_key_sealed_to" text;
--> statement-breakpoint
-- The alliance's view of a sealed round ends before its first bid event: found by one probe, whatever the number of bids.
CREATE INDEX "audit_events_bid_seq_idx" ON "audit_events" USING btree ("chain","seq") WHERE type LIKE 'bid.%';
--> statement-breakpoint
-- Idempotency answers of token creation held the token itself: those rows go (replays now answer without it).
DELETE FROM "idempotency_keys" WHERE body LIKE '%"token":"%';

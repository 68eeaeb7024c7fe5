-- reverse: create index "webhookdelivery_status_queued_next_attempt_at" to table: "webhook_deliveries"
DROP INDEX "webhookdelivery_status_queued_next_attempt_at";
-- reverse: modify "webhook_deliveries" table
ALTER TABLE "webhook_deliveries" DROP COLUMN "queued";
-- reverse: drop index "webhookdelivery_status_next_attempt_at" from table: "webhook_deliveries"
CREATE INDEX "webhookdelivery_status_next_attempt_at" ON "webhook_deliveries" ("status", "next_attempt_at");

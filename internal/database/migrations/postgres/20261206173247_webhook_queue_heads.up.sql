-- drop index "webhookdelivery_status_next_attempt_at" from table: "webhook_deliveries"
DROP INDEX "webhookdelivery_status_next_attempt_at";
-- modify "webhook_deliveries" table
ALTER TABLE "webhook_deliveries" ADD COLUMN "queued" boolean NOT NULL DEFAULT false;
-- create index "webhookdelivery_status_queued_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX "webhookdelivery_status_queued_next_attempt_at" ON "webhook_deliveries" ("status", "queued", "next_attempt_at");

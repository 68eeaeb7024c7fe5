-- reverse: create index "webhookdelivery_webhook_id_event_id" to table: "webhook_deliveries"
DROP INDEX "webhookdelivery_webhook_id_event_id";
-- reverse: create index "webhookdelivery_webhook_id_customer_id_status_event_id" to table: "webhook_deliveries"
DROP INDEX "webhookdelivery_webhook_id_customer_id_status_event_id";
-- reverse: create index "webhookdelivery_status_next_attempt_at" to table: "webhook_deliveries"
DROP INDEX "webhookdelivery_status_next_attempt_at";
-- reverse: create "webhook_deliveries" table
DROP TABLE "webhook_deliveries";
-- reverse: create "webhooks" table
DROP TABLE "webhooks";

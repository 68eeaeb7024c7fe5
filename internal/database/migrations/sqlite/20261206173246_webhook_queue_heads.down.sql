-- reverse: create index "webhookdelivery_webhook_id_customer_id_status_event_id" to table: "webhook_deliveries"
DROP INDEX `webhookdelivery_webhook_id_customer_id_status_event_id`;
-- reverse: create index "webhookdelivery_status_queued_next_attempt_at" to table: "webhook_deliveries"
DROP INDEX `webhookdelivery_status_queued_next_attempt_at`;
-- reverse: create index "webhookdelivery_webhook_id_event_id" to table: "webhook_deliveries"
DROP INDEX `webhookdelivery_webhook_id_event_id`;
-- reverse: set sequence for "new_webhook_deliveries" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "new_webhook_deliveries";
-- reverse: create "new_webhook_deliveries" table
DROP TABLE `new_webhook_deliveries`;

-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_webhook_deliveries" table
CREATE TABLE `new_webhook_deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `customer_id` integer NOT NULL DEFAULT (0), `status` text NOT NULL DEFAULT ('PENDING'), `attempts` json NULL, `next_attempt_at` datetime NOT NULL, `queued` bool NOT NULL DEFAULT (false), `lease_until` datetime NULL, `delivered_at` datetime NULL, `webhook_id` integer NOT NULL, `event_id` integer NOT NULL, CONSTRAINT `webhook_deliveries_webhooks_deliveries` FOREIGN KEY (`webhook_id`) REFERENCES `webhooks` (`id`) ON DELETE CASCADE, CONSTRAINT `webhook_deliveries_customer_events_event` FOREIGN KEY (`event_id`) REFERENCES `customer_events` (`id`) ON DELETE NO ACTION);
-- set sequence for "new_webhook_deliveries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_webhook_deliveries", 38654705664);
-- copy rows from old table "webhook_deliveries" to new temporary table "new_webhook_deliveries"
INSERT INTO `new_webhook_deliveries` (`id`, `customer_id`, `status`, `attempts`, `next_attempt_at`, `lease_until`, `delivered_at`, `webhook_id`, `event_id`) SELECT `id`, `customer_id`, `status`, `attempts`, `next_attempt_at`, `lease_until`, `delivered_at`, `webhook_id`, `event_id` FROM `webhook_deliveries`;
-- drop "webhook_deliveries" table after copying rows
DROP TABLE `webhook_deliveries`;
-- rename temporary table "new_webhook_deliveries" to "webhook_deliveries"
ALTER TABLE `new_webhook_deliveries` RENAME TO `webhook_deliveries`;
-- create index "webhookdelivery_webhook_id_event_id" to table: "webhook_deliveries"
CREATE UNIQUE INDEX `webhookdelivery_webhook_id_event_id` ON `webhook_deliveries` (`webhook_id`, `event_id`);
-- create index "webhookdelivery_status_queued_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_status_queued_next_attempt_at` ON `webhook_deliveries` (`status`, `queued`, `next_attempt_at`);
-- create index "webhookdelivery_webhook_id_customer_id_status_event_id" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_webhook_id_customer_id_status_event_id` ON `webhook_deliveries` (`webhook_id`, `customer_id`, `status`, `event_id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

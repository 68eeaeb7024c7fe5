-- create "webhooks" table
CREATE TABLE `webhooks` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `url` text NOT NULL, `types` json NOT NULL, `secret` text NOT NULL, `active` bool NOT NULL DEFAULT (true), `created_at` datetime NOT NULL, `position` integer NOT NULL DEFAULT (0));
-- set sequence for "webhooks" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhooks", 34359738368);
-- create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `customer_id` integer NOT NULL DEFAULT (0), `status` text NOT NULL DEFAULT ('PENDING'), `attempts` json NULL, `next_attempt_at` datetime NOT NULL, `lease_until` datetime NULL, `delivered_at` datetime NULL, `webhook_id` integer NOT NULL, `event_id` integer NOT NULL, CONSTRAINT `webhook_deliveries_webhooks_deliveries` FOREIGN KEY (`webhook_id`) REFERENCES `webhooks` (`id`) ON DELETE CASCADE, CONSTRAINT `webhook_deliveries_customer_events_event` FOREIGN KEY (`event_id`) REFERENCES `customer_events` (`id`) ON DELETE NO ACTION);
-- set sequence for "webhook_deliveries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_deliveries", 38654705664);
-- create index "webhookdelivery_webhook_id_event_id" to table: "webhook_deliveries"
CREATE UNIQUE INDEX `webhookdelivery_webhook_id_event_id` ON `webhook_deliveries` (`webhook_id`, `event_id`);
-- create index "webhookdelivery_status_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_status_next_attempt_at` ON `webhook_deliveries` (`status`, `next_attempt_at`);
-- create index "webhookdelivery_webhook_id_customer_id_status_event_id" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_webhook_id_customer_id_status_event_id` ON `webhook_deliveries` (`webhook_id`, `customer_id`, `status`, `event_id`);

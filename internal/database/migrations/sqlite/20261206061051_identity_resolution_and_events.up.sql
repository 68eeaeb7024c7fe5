-- Written by hand from ent's diff, which rebuilt "customers" (copy, DROP,
-- rename): golang-migrate runs a file in a transaction, where SQLite ignores
-- PRAGMA foreign_keys = off, so the DROP cascaded to every order, item,
-- feedback and identity. Adding the columns keeps the rows where they are.
-- add columns "match_name", "match_city", "match_head", "match_tail" to table: "customers"
ALTER TABLE `customers` ADD COLUMN `match_name` text NOT NULL DEFAULT ('');
ALTER TABLE `customers` ADD COLUMN `match_city` text NOT NULL DEFAULT ('');
ALTER TABLE `customers` ADD COLUMN `match_head` text NOT NULL DEFAULT ('');
ALTER TABLE `customers` ADD COLUMN `match_tail` text NOT NULL DEFAULT ('');
-- create index "customer_match_name_birth_date" to table: "customers"
CREATE INDEX `customer_match_name_birth_date` ON `customers` (`match_name`, `birth_date`);
-- create index "customer_match_name_country" to table: "customers"
CREATE INDEX `customer_match_name_country` ON `customers` (`match_name`, `country`);
-- create index "customer_match_city_match_head" to table: "customers"
CREATE INDEX `customer_match_city_match_head` ON `customers` (`match_city`, `match_head`);
-- create index "customer_match_city_match_tail" to table: "customers"
CREATE INDEX `customer_match_city_match_tail` ON `customers` (`match_city`, `match_tail`);
-- create index "customer_phone" to table: "customers"
CREATE INDEX `customer_phone` ON `customers` (`phone`);
-- create "customer_events" table
CREATE TABLE `customer_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `type` text NOT NULL, `occurred_at` datetime NOT NULL, `subject_id` integer NULL, `summary` text NOT NULL, `changes` json NULL, `customer_id` integer NULL, CONSTRAINT `customer_events_customers_events` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE SET NULL);
-- set sequence for "customer_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("customer_events", 30064771072);
-- create index "customerevent_customer_id_occurred_at" to table: "customer_events"
CREATE INDEX `customerevent_customer_id_occurred_at` ON `customer_events` (`customer_id`, `occurred_at`);
-- create index "customerevent_occurred_at" to table: "customer_events"
CREATE INDEX `customerevent_occurred_at` ON `customer_events` (`occurred_at`);
-- create "merges" table
CREATE TABLE `merges` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `performed_at` datetime NOT NULL, `undone_at` datetime NULL, `merged_ids` json NOT NULL, `record` json NULL, `survivor_id` integer NOT NULL, CONSTRAINT `merges_customers_merges` FOREIGN KEY (`survivor_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE);
-- set sequence for "merges" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("merges", 25769803776);
-- create index "merge_survivor_id" to table: "merges"
CREATE INDEX `merge_survivor_id` ON `merges` (`survivor_id`);

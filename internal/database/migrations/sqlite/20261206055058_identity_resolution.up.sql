-- disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- create "new_customers" table
CREATE TABLE `new_customers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `external_ref` text NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `relationship` text NOT NULL DEFAULT ('EXTERNAL'), `lifecycle_stage` text NOT NULL DEFAULT ('PROSPECT'), `name` text NOT NULL, `email` text NULL, `phone` text NULL, `birth_date` text NULL, `gender` text NULL, `income_band` text NULL, `country` text NULL, `region` text NULL, `city` text NULL, `preferred_language` text NULL, `match_name` text NOT NULL DEFAULT (''), `match_city` text NOT NULL DEFAULT (''), `match_head` text NOT NULL DEFAULT (''), `match_tail` text NOT NULL DEFAULT (''));
-- copy rows from old table "customers" to new temporary table "new_customers"
INSERT INTO `new_customers` (`id`, `external_ref`, `created_at`, `updated_at`, `kind`, `relationship`, `lifecycle_stage`, `name`, `email`, `phone`, `birth_date`, `gender`, `income_band`, `country`, `region`, `city`, `preferred_language`) SELECT `id`, `external_ref`, `created_at`, `updated_at`, `kind`, `relationship`, `lifecycle_stage`, `name`, `email`, `phone`, `birth_date`, `gender`, `income_band`, `country`, `region`, `city`, `preferred_language` FROM `customers`;
-- drop "customers" table after copying rows
DROP TABLE `customers`;
-- rename temporary table "new_customers" to "customers"
ALTER TABLE `new_customers` RENAME TO `customers`;
-- create index "customers_external_ref_key" to table: "customers"
CREATE UNIQUE INDEX `customers_external_ref_key` ON `customers` (`external_ref`);
-- create index "customers_email_key" to table: "customers"
CREATE UNIQUE INDEX `customers_email_key` ON `customers` (`email`);
-- create index "customer_country_income_band" to table: "customers"
CREATE INDEX `customer_country_income_band` ON `customers` (`country`, `income_band`);
-- create index "customer_birth_date" to table: "customers"
CREATE INDEX `customer_birth_date` ON `customers` (`birth_date`);
-- create index "customer_name" to table: "customers"
CREATE INDEX `customer_name` ON `customers` (`name`);
-- create index "customer_created_at" to table: "customers"
CREATE INDEX `customer_created_at` ON `customers` (`created_at`);
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
-- create "merges" table
CREATE TABLE `merges` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `performed_at` datetime NOT NULL, `undone_at` datetime NULL, `merged_ids` json NOT NULL, `record` json NULL, `survivor_id` integer NOT NULL, CONSTRAINT `merges_customers_merges` FOREIGN KEY (`survivor_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE);
-- set sequence for "merges" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("merges", 25769803776);
-- create index "merge_survivor_id" to table: "merges"
CREATE INDEX `merge_survivor_id` ON `merges` (`survivor_id`);
-- enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;

-- create "identities" table
CREATE TABLE `identities` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `kind` text NOT NULL, `value` text NOT NULL, `source` text NULL, `verified` bool NOT NULL DEFAULT (false), `created_at` datetime NOT NULL, `customer_id` integer NOT NULL, CONSTRAINT `identities_customers_identities` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE);
-- set sequence for "identities" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("identities", 21474836480);
-- create index "identity_kind_value" to table: "identities"
CREATE UNIQUE INDEX `identity_kind_value` ON `identities` (`kind`, `value`);
-- create index "identity_customer_id" to table: "identities"
CREATE INDEX `identity_customer_id` ON `identities` (`customer_id`);

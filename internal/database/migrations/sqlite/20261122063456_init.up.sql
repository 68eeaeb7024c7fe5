-- create "customers" table
CREATE TABLE `customers` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `external_ref` text NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `relationship` text NOT NULL DEFAULT ('EXTERNAL'), `lifecycle_stage` text NOT NULL DEFAULT ('PROSPECT'), `name` text NOT NULL, `email` text NULL, `phone` text NULL, `birth_date` text NULL, `gender` text NULL, `income_band` text NULL, `country` text NULL, `region` text NULL, `city` text NULL);
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
-- create "feedbacks" table
CREATE TABLE `feedbacks` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `external_ref` text NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `channel` text NOT NULL, `score` integer NULL, `comment` text NULL, `language` text NULL, `submitted_at` datetime NOT NULL, `customer_id` integer NOT NULL, `order_id` integer NULL, CONSTRAINT `feedbacks_customers_feedbacks` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE, CONSTRAINT `feedbacks_orders_feedbacks` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE SET NULL);
-- set sequence for "feedbacks" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("feedbacks", 4294967296);
-- create index "feedbacks_external_ref_key" to table: "feedbacks"
CREATE UNIQUE INDEX `feedbacks_external_ref_key` ON `feedbacks` (`external_ref`);
-- create index "feedback_customer_id_submitted_at" to table: "feedbacks"
CREATE INDEX `feedback_customer_id_submitted_at` ON `feedbacks` (`customer_id`, `submitted_at`);
-- create index "feedback_submitted_at" to table: "feedbacks"
CREATE INDEX `feedback_submitted_at` ON `feedbacks` (`submitted_at`);
-- create index "feedback_order_id" to table: "feedbacks"
CREATE INDEX `feedback_order_id` ON `feedbacks` (`order_id`);
-- create "orders" table
CREATE TABLE `orders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `external_ref` text NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `channel` text NOT NULL, `currency` text NOT NULL, `placed_at` datetime NOT NULL, `total` integer NOT NULL, `customer_id` integer NOT NULL, CONSTRAINT `orders_customers_orders` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE);
-- set sequence for "orders" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("orders", 8589934592);
-- create index "orders_external_ref_key" to table: "orders"
CREATE UNIQUE INDEX `orders_external_ref_key` ON `orders` (`external_ref`);
-- create index "order_customer_id_placed_at" to table: "orders"
CREATE INDEX `order_customer_id_placed_at` ON `orders` (`customer_id`, `placed_at`);
-- create index "order_placed_at" to table: "orders"
CREATE INDEX `order_placed_at` ON `orders` (`placed_at`);
-- create index "order_status" to table: "orders"
CREATE INDEX `order_status` ON `orders` (`status`);
-- create "order_items" table
CREATE TABLE `order_items` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `sku` text NOT NULL, `name` text NOT NULL, `category` text NULL, `quantity` integer NOT NULL, `unit_price` integer NOT NULL, `line_total` integer NOT NULL, `order_id` integer NOT NULL, CONSTRAINT `order_items_orders_items` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE);
-- set sequence for "order_items" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("order_items", 12884901888);
-- create index "orderitem_order_id" to table: "order_items"
CREATE INDEX `orderitem_order_id` ON `order_items` (`order_id`);
-- create "personas" table
CREATE TABLE `personas` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `external_ref` text NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `description` text NULL, `criteria` json NOT NULL);
-- set sequence for "personas" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("personas", 17179869184);
-- create index "personas_external_ref_key" to table: "personas"
CREATE UNIQUE INDEX `personas_external_ref_key` ON `personas` (`external_ref`);

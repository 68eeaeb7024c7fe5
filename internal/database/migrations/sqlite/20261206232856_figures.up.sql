-- create "customer_months" table
CREATE TABLE `customer_months` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `customer_id` integer NOT NULL, `month` text NOT NULL, `orders` integer NOT NULL DEFAULT (0), `revenue` integer NOT NULL DEFAULT (0), `first_order_at` datetime NULL, `last_order_at` datetime NULL, `feedback` integer NOT NULL DEFAULT (0), `csat_count` integer NOT NULL DEFAULT (0), `csat_sum` integer NOT NULL DEFAULT (0), `csat_satisfied` integer NOT NULL DEFAULT (0), `latest_nps` integer NULL);
-- set sequence for "customer_months" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("customer_months", 47244640256);
-- create index "monthsummary_customer_id_month" to table: "customer_months"
CREATE INDEX `monthsummary_customer_id_month` ON `customer_months` (`customer_id`, `month`);
-- create index "monthsummary_month" to table: "customer_months"
CREATE INDEX `monthsummary_month` ON `customer_months` (`month`);
-- create "month_totals" table
CREATE TABLE `month_totals` (`id` text NOT NULL, `buyers` integer NOT NULL DEFAULT (0), `repeaters` integer NOT NULL DEFAULT (0), `orders` integer NOT NULL DEFAULT (0), `revenue` integer NOT NULL DEFAULT (0), `promoters` integer NOT NULL DEFAULT (0), `passives` integer NOT NULL DEFAULT (0), `detractors` integer NOT NULL DEFAULT (0), `csat_count` integer NOT NULL DEFAULT (0), `csat_sum` integer NOT NULL DEFAULT (0), `csat_satisfied` integer NOT NULL DEFAULT (0), PRIMARY KEY (`id`));
-- set sequence for "month_totals" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("month_totals", 51539607552);
-- create "segment_totals" table
CREATE TABLE `segment_totals` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `persona_id` integer NOT NULL, `day` text NOT NULL, `customers` integer NOT NULL DEFAULT (0), `buyers` integer NOT NULL DEFAULT (0), `repeaters` integer NOT NULL DEFAULT (0), `orders` integer NOT NULL DEFAULT (0), `revenue` integer NOT NULL DEFAULT (0), `promoters` integer NOT NULL DEFAULT (0), `passives` integer NOT NULL DEFAULT (0), `detractors` integer NOT NULL DEFAULT (0), `csat_count` integer NOT NULL DEFAULT (0), `csat_sum` integer NOT NULL DEFAULT (0), `csat_satisfied` integer NOT NULL DEFAULT (0));
-- set sequence for "segment_totals" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("segment_totals", 55834574848);
-- create index "segmenttotal_persona_id_day" to table: "segment_totals"
CREATE UNIQUE INDEX `segmenttotal_persona_id_day` ON `segment_totals` (`persona_id`, `day`);
-- create "customer_summaries" table
CREATE TABLE `customer_summaries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `orders` integer NOT NULL DEFAULT (0), `revenue` integer NOT NULL DEFAULT (0), `first_order_at` datetime NULL, `last_order_at` datetime NULL, `feedback` integer NOT NULL DEFAULT (0), `csat_count` integer NOT NULL DEFAULT (0), `csat_sum` integer NOT NULL DEFAULT (0), `csat_satisfied` integer NOT NULL DEFAULT (0), `latest_nps` integer NULL);
-- set sequence for "customer_summaries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("customer_summaries", 42949672960);

-- create "customer_months" table
CREATE TABLE `customer_months` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `customer_id` integer NOT NULL, `month` text NOT NULL, `orders` integer NOT NULL DEFAULT (0), `revenue` integer NOT NULL DEFAULT (0), `csat_count` integer NOT NULL DEFAULT (0), `csat_sum` integer NOT NULL DEFAULT (0), `csat_satisfied` integer NOT NULL DEFAULT (0), `latest_nps` integer NULL);
-- set sequence for "customer_months" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("customer_months", 47244640256);
-- create index "monthsummary_customer_id_month" to table: "customer_months"
CREATE UNIQUE INDEX `monthsummary_customer_id_month` ON `customer_months` (`customer_id`, `month`);
-- create index "monthsummary_month" to table: "customer_months"
CREATE INDEX `monthsummary_month` ON `customer_months` (`month`);
-- create "month_totals" table
CREATE TABLE `month_totals` (`id` text NOT NULL, `buyers` integer NOT NULL DEFAULT (0), `repeaters` integer NOT NULL DEFAULT (0), `orders` integer NOT NULL DEFAULT (0), `revenue` integer NOT NULL DEFAULT (0), `promoters` integer NOT NULL DEFAULT (0), `passives` integer NOT NULL DEFAULT (0), `detractors` integer NOT NULL DEFAULT (0), `csat_count` integer NOT NULL DEFAULT (0), `csat_sum` integer NOT NULL DEFAULT (0), `csat_satisfied` integer NOT NULL DEFAULT (0), PRIMARY KEY (`id`));
-- set sequence for "month_totals" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("month_totals", 51539607552);

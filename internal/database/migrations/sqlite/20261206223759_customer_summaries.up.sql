-- create "customer_summaries" table
CREATE TABLE `customer_summaries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `orders` integer NOT NULL DEFAULT (0), `revenue` integer NOT NULL DEFAULT (0), `first_order_at` datetime NULL, `last_order_at` datetime NULL, `feedback` integer NOT NULL DEFAULT (0), `csat_count` integer NOT NULL DEFAULT (0), `csat_sum` integer NOT NULL DEFAULT (0), `csat_satisfied` integer NOT NULL DEFAULT (0), `latest_nps` integer NULL);
-- set sequence for "customer_summaries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("customer_summaries", 42949672960);

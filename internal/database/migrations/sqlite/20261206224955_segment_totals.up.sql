-- create "segment_totals" table
CREATE TABLE `segment_totals` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `persona_id` integer NOT NULL, `day` text NOT NULL, `customers` integer NOT NULL DEFAULT (0), `buyers` integer NOT NULL DEFAULT (0), `repeaters` integer NOT NULL DEFAULT (0), `orders` integer NOT NULL DEFAULT (0), `revenue` integer NOT NULL DEFAULT (0), `promoters` integer NOT NULL DEFAULT (0), `passives` integer NOT NULL DEFAULT (0), `detractors` integer NOT NULL DEFAULT (0), `csat_count` integer NOT NULL DEFAULT (0), `csat_sum` integer NOT NULL DEFAULT (0), `csat_satisfied` integer NOT NULL DEFAULT (0));
-- set sequence for "segment_totals" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("segment_totals", 55834574848);
-- create index "segmenttotal_persona_id_day" to table: "segment_totals"
CREATE UNIQUE INDEX `segmenttotal_persona_id_day` ON `segment_totals` (`persona_id`, `day`);

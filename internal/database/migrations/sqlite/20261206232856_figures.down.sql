-- reverse: set sequence for "customer_summaries" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "customer_summaries";
-- reverse: create "customer_summaries" table
DROP TABLE `customer_summaries`;
-- reverse: create index "segmenttotal_persona_id_day" to table: "segment_totals"
DROP INDEX `segmenttotal_persona_id_day`;
-- reverse: set sequence for "segment_totals" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "segment_totals";
-- reverse: create "segment_totals" table
DROP TABLE `segment_totals`;
-- reverse: set sequence for "month_totals" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "month_totals";
-- reverse: create "month_totals" table
DROP TABLE `month_totals`;
-- reverse: create index "monthsummary_month" to table: "customer_months"
DROP INDEX `monthsummary_month`;
-- reverse: create index "monthsummary_customer_id_month" to table: "customer_months"
DROP INDEX `monthsummary_customer_id_month`;
-- reverse: set sequence for "customer_months" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "customer_months";
-- reverse: create "customer_months" table
DROP TABLE `customer_months`;

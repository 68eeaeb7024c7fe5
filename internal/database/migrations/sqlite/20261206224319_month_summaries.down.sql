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

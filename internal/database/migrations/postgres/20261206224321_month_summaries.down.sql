-- reverse: create "month_totals" table
DROP TABLE "month_totals";
-- reverse: create index "monthsummary_month" to table: "customer_months"
DROP INDEX "monthsummary_month";
-- reverse: create index "monthsummary_customer_id_month" to table: "customer_months"
DROP INDEX "monthsummary_customer_id_month";
-- reverse: create "customer_months" table
DROP TABLE "customer_months";

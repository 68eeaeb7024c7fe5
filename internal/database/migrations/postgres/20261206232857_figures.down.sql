-- reverse: create "customer_summaries" table
DROP TABLE "customer_summaries";
-- reverse: create index "segmenttotal_persona_id_day" to table: "segment_totals"
DROP INDEX "segmenttotal_persona_id_day";
-- reverse: create "segment_totals" table
DROP TABLE "segment_totals";
-- reverse: create "month_totals" table
DROP TABLE "month_totals";
-- reverse: create index "monthsummary_month" to table: "customer_months"
DROP INDEX "monthsummary_month";
-- reverse: create index "monthsummary_customer_id_month" to table: "customer_months"
DROP INDEX "monthsummary_customer_id_month";
-- reverse: create "customer_months" table
DROP TABLE "customer_months";

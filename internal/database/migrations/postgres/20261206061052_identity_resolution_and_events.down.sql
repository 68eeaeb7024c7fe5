-- reverse: create index "merge_survivor_id" to table: "merges"
DROP INDEX "merge_survivor_id";
-- reverse: create "merges" table
DROP TABLE "merges";
-- reverse: create index "customerevent_occurred_at" to table: "customer_events"
DROP INDEX "customerevent_occurred_at";
-- reverse: create index "customerevent_customer_id_occurred_at" to table: "customer_events"
DROP INDEX "customerevent_customer_id_occurred_at";
-- reverse: create "customer_events" table
DROP TABLE "customer_events";
-- reverse: create index "customer_phone" to table: "customers"
DROP INDEX "customer_phone";
-- reverse: create index "customer_match_name_country" to table: "customers"
DROP INDEX "customer_match_name_country";
-- reverse: create index "customer_match_name_birth_date" to table: "customers"
DROP INDEX "customer_match_name_birth_date";
-- reverse: create index "customer_match_city_match_tail" to table: "customers"
DROP INDEX "customer_match_city_match_tail";
-- reverse: create index "customer_match_city_match_head" to table: "customers"
DROP INDEX "customer_match_city_match_head";
-- reverse: modify "customers" table
ALTER TABLE "customers" DROP COLUMN "match_tail", DROP COLUMN "match_head", DROP COLUMN "match_city", DROP COLUMN "match_name";

-- reverse: create index "merge_survivor_id" to table: "merges"
DROP INDEX `merge_survivor_id`;
-- reverse: set sequence for "merges" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "merges";
-- reverse: create "merges" table
DROP TABLE `merges`;
-- reverse: create index "customer_phone" to table: "customers"
DROP INDEX `customer_phone`;
-- reverse: create index "customer_match_city_match_tail" to table: "customers"
DROP INDEX `customer_match_city_match_tail`;
-- reverse: create index "customer_match_city_match_head" to table: "customers"
DROP INDEX `customer_match_city_match_head`;
-- reverse: create index "customer_match_name_country" to table: "customers"
DROP INDEX `customer_match_name_country`;
-- reverse: create index "customer_match_name_birth_date" to table: "customers"
DROP INDEX `customer_match_name_birth_date`;
-- reverse: create index "customer_created_at" to table: "customers"
DROP INDEX `customer_created_at`;
-- reverse: create index "customer_name" to table: "customers"
DROP INDEX `customer_name`;
-- reverse: create index "customer_birth_date" to table: "customers"
DROP INDEX `customer_birth_date`;
-- reverse: create index "customer_country_income_band" to table: "customers"
DROP INDEX `customer_country_income_band`;
-- reverse: create index "customers_email_key" to table: "customers"
DROP INDEX `customers_email_key`;
-- reverse: create index "customers_external_ref_key" to table: "customers"
DROP INDEX `customers_external_ref_key`;
-- reverse: create "new_customers" table
DROP TABLE `new_customers`;

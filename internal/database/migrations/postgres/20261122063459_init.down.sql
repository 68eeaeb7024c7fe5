-- reverse: create index "orderitem_order_id" to table: "order_items"
DROP INDEX "orderitem_order_id";
-- reverse: create "order_items" table
DROP TABLE "order_items";
-- reverse: create index "feedbacks_external_ref_key" to table: "feedbacks"
DROP INDEX "feedbacks_external_ref_key";
-- reverse: create index "feedback_submitted_at" to table: "feedbacks"
DROP INDEX "feedback_submitted_at";
-- reverse: create index "feedback_order_id" to table: "feedbacks"
DROP INDEX "feedback_order_id";
-- reverse: create index "feedback_customer_id_submitted_at" to table: "feedbacks"
DROP INDEX "feedback_customer_id_submitted_at";
-- reverse: create "feedbacks" table
DROP TABLE "feedbacks";
-- reverse: create index "orders_external_ref_key" to table: "orders"
DROP INDEX "orders_external_ref_key";
-- reverse: create index "order_status" to table: "orders"
DROP INDEX "order_status";
-- reverse: create index "order_placed_at" to table: "orders"
DROP INDEX "order_placed_at";
-- reverse: create index "order_customer_id_placed_at" to table: "orders"
DROP INDEX "order_customer_id_placed_at";
-- reverse: create "orders" table
DROP TABLE "orders";
-- reverse: create index "personas_external_ref_key" to table: "personas"
DROP INDEX "personas_external_ref_key";
-- reverse: create "personas" table
DROP TABLE "personas";
-- reverse: create index "customers_external_ref_key" to table: "customers"
DROP INDEX "customers_external_ref_key";
-- reverse: create index "customers_email_key" to table: "customers"
DROP INDEX "customers_email_key";
-- reverse: create index "customer_name" to table: "customers"
DROP INDEX "customer_name";
-- reverse: create index "customer_created_at" to table: "customers"
DROP INDEX "customer_created_at";
-- reverse: create index "customer_country_income_band" to table: "customers"
DROP INDEX "customer_country_income_band";
-- reverse: create index "customer_birth_date" to table: "customers"
DROP INDEX "customer_birth_date";
-- reverse: create "customers" table
DROP TABLE "customers";

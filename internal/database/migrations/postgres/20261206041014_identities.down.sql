-- reverse: create index "identity_kind_value" to table: "identities"
DROP INDEX "identity_kind_value";
-- reverse: create index "identity_customer_id" to table: "identities"
DROP INDEX "identity_customer_id";
-- reverse: create "identities" table
DROP TABLE "identities";

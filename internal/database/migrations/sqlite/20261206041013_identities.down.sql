-- reverse: create index "identity_customer_id" to table: "identities"
DROP INDEX `identity_customer_id`;
-- reverse: create index "identity_kind_value" to table: "identities"
DROP INDEX `identity_kind_value`;
-- reverse: set sequence for "identities" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "identities";
-- reverse: create "identities" table
DROP TABLE `identities`;

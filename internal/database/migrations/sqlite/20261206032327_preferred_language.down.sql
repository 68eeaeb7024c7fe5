-- reverse: add column "preferred_language" to table: "customers"
ALTER TABLE `customers` DROP COLUMN `preferred_language`;

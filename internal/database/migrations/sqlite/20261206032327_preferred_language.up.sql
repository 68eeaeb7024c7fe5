-- add column "preferred_language" to table: "customers"
ALTER TABLE `customers` ADD COLUMN `preferred_language` text NULL;

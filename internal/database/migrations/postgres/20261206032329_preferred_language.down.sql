-- reverse: modify "customers" table
ALTER TABLE "customers" DROP COLUMN "preferred_language";

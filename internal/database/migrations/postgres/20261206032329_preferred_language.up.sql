-- modify "customers" table
ALTER TABLE "customers" ADD COLUMN "preferred_language" character varying NULL;

-- reverse: create "customer_summaries" table
DROP TABLE "customer_summaries";

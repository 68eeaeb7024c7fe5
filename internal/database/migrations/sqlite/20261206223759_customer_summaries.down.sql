-- reverse: set sequence for "customer_summaries" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "customer_summaries";
-- reverse: create "customer_summaries" table
DROP TABLE `customer_summaries`;

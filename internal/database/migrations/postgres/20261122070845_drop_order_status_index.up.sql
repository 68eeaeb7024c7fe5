-- drop index "order_status" from table: "orders"
DROP INDEX "order_status";

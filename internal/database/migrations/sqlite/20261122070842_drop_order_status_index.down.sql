-- reverse: drop index "order_status" from table: "orders"
CREATE INDEX `order_status` ON `orders` (`status`);

-- reverse: create index "segmenttotal_persona_id_day" to table: "segment_totals"
DROP INDEX `segmenttotal_persona_id_day`;
-- reverse: set sequence for "segment_totals" table
UPDATE sqlite_sequence SET seq = 0 WHERE name = "segment_totals";
-- reverse: create "segment_totals" table
DROP TABLE `segment_totals`;

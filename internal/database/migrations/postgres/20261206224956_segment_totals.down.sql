-- reverse: create index "segmenttotal_persona_id_day" to table: "segment_totals"
DROP INDEX "segmenttotal_persona_id_day";
-- reverse: create "segment_totals" table
DROP TABLE "segment_totals";

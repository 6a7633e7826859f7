-- The ledger's rows are facts: transfers and entries are never updated or deleted (a mistake is
-- corrected by another transfer). The triggers make the database refuse it too.
CREATE OR REPLACE FUNCTION coffer_refuse_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $fn$
BEGIN
  RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$fn$;

CREATE OR REPLACE TRIGGER transfers_immutable BEFORE DELETE OR UPDATE ON transfers
  FOR EACH ROW EXECUTE FUNCTION coffer_refuse_change();
CREATE OR REPLACE TRIGGER entries_immutable BEFORE DELETE OR UPDATE ON entries
  FOR EACH ROW EXECUTE FUNCTION coffer_refuse_change();

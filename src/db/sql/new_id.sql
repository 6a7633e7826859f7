-- An id like src/lib/ids.ts newId(): prefix, 10 base-32 characters of milliseconds, 16 random.
CREATE OR REPLACE FUNCTION coffer_new_id(p_prefix text)
 RETURNS text
 LANGUAGE plpgsql
AS $fn$
DECLARE
  alphabet constant text := '0123456789abcdefghjkmnpqrstvwxyz';
  ms bigint := floor(extract(epoch FROM clock_timestamp()) * 1000);
  out text := '';
BEGIN
  FOR i IN 1..10 LOOP
    out := substr(alphabet, (ms % 32)::int + 1, 1) || out;
    ms := ms / 32;
  END LOOP;
  FOR i IN 1..16 LOOP
    out := out || substr(alphabet, floor(random() * 32)::int + 1, 1);
  END LOOP;
  RETURN p_prefix || '_' || out;
END
$fn$;

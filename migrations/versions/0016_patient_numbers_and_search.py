"""Hospital numbers, phone search and trigram name search for patients (issue 23, part 2).

Reviewed by hand. Additions beyond the document (ERRATA "Additions beyond the document"): a clerk finds a
patient by the hospital's own number on the card, by the phone as the patient says it, or by a name spelled
the way it sounded. The document has no medical record number and nothing that makes the other two an
index read. This adds:

- `patient_number_series`: one row per hospital, its prefix (the hospital's initials, `LUTH` for Lagos
  University Teaching Hospital, kept when the hospital is renamed) and the last number it gave. The row is
  the counter: giving numbers updates it, so two first visits at one hospital at the same moment queue on
  that row and get distinct numbers (a number is never given twice; a rolled-back visit may leave a gap).
- `patient_hospital_numbers`: a patient's number at a hospital (`LUTH-000123`), one per (hospital, patient),
  unique per hospital as text and as its sequence number, which the prefix search reads as a range.
- `healthdash_number_new_patients()`: an AFTER INSERT statement trigger (with the inserted rows as a
  transition table) on `hospital_patients`, `appointments` and `patient_waitlist`. The first time a
  hospital admits, books or waitlists a patient, the patient gets that hospital's next number, in the
  same transaction as the write, whichever client wrote it (the dashboard, the Node backend, a COPY of the
  demo). One statement numbers a whole COPY batch, in order of first visit.
- `healthdash_hospital_initials(name)`, `healthdash_patient_number(prefix, n)`: the prefix and the shown form.
- The search: `pg_trgm` (a trusted extension), `healthdash_search_name(first, last)` (the lower-case
  "first last" the search compares) with a GIN trigram index over patients' profiles, and
  `healthdash_phone_digits(phone)` (a Nigerian number's national digits: no +234, no trunk 0, no marks)
  with a B-tree index over patients' profiles, read as a range for "starts with".
- `healthdash_patient_candidates(name, phone_from, phone_to, max_rows)`: patients whose phone digits lie in
  [phone_from, phone_to) or whose name is a word-similarity match (threshold 0.55: "Chukwma" finds
  "Chukwuma"), best first by whole-word similarity (so "Chukwmeka" puts Chukwuemeka Nwankwo before Nneka
  Chukwu, whose surname merely starts alike), ties by the whole name's; at most max_rows of each. It is SECURITY DEFINER because row-level security
  (migration 0013) keeps non-leakproof operators such as pg_trgm's and regexp_replace() out of index
  conditions, which would make every search a scan of profiles; it reads only the rows every scope may
  see anyway (patients' profiles, which have no hospital), and returns ids and scores, nothing else.

Both go with their hospital or patient (ON DELETE CASCADE): a number means nothing without either.

Row-level security on both tables by `hospital_id` (`healthdash_scope_allows`), enabled and forced, as in
0005/0013: a hospital's scope sees and writes its own numbers only. The trigger runs as the writer, so the
app role gets SELECT/INSERT on the numbers and SELECT/INSERT/UPDATE on the series (db/roles.py).

Downgrade drops all of it (the numbers given are lost), pg_trgm too unless something else has come to use it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = postgresql.TIMESTAMP(timezone=True)
NUMBERED_BY = ("hospital_patients", "appointments", "patient_waitlist")
SCOPED = ("patient_number_series", "patient_hospital_numbers")
NAME_THRESHOLD = 0.55  # word similarity: "Chukwma" (0.62) finds "Chukwuma"; "Amaka" leaves "Amara" (0.5) out

FUNCTIONS = [
    # Initials of the words that start with a letter, less the small words: "General Hospital Lagos" -> GHL,
    # "Warri Women and Children's Hospital" -> WWCH (an apostrophe stays inside its word).
    # One word gives its first three letters; no word gives HN. At most four letters (UNTH, LUTH).
    r"""
    CREATE FUNCTION healthdash_hospital_initials(hospital_name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        WITH words AS (
            SELECT w, n FROM regexp_split_to_table(coalesce(hospital_name, ''), '[^A-Za-z0-9'']+') WITH ORDINALITY AS t(w, n)
            WHERE w ~ '^[A-Za-z]' AND lower(w) NOT IN ('of', 'the', 'and', 'for', 'at', 'in', 'de')
        )
        SELECT CASE
            WHEN count(*) >= 2 THEN left(string_agg(upper(left(w, 1)), '' ORDER BY n), 4)
            WHEN count(*) = 1 THEN upper(left(min(w), 3))
            ELSE 'HN'
        END FROM words
    $$
    """,
    """
    CREATE FUNCTION healthdash_patient_number(prefix text, sequence_number integer) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT prefix || '-' || lpad(sequence_number::text, greatest(6, length(sequence_number::text)), '0')
    $$
    """,
    # The two indexed forms carry a SET clause so PostgreSQL never inlines them: an inlined call in a query no
    # longer matches the index built on the call, and every search would read all of profiles.
    """
    CREATE FUNCTION healthdash_search_name(first_name text, last_name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
        SELECT lower(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')))
    $$
    """,
    r"""
    CREATE FUNCTION healthdash_phone_digits(phone text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
        SELECT nullif(regexp_replace(regexp_replace(regexp_replace(phone, '\D', '', 'g'), '^234', ''), '^0', ''), '')
    $$
    """,
    # Statement-level: a COPY of 20,000 appointments numbers its new patients in one pass.
    """
    CREATE FUNCTION healthdash_number_new_patients() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
    BEGIN
        WITH visits AS (
            SELECT v.hospital_id, v.patient_id, min(v.created_at) AS first_seen
            FROM new_rows v
            WHERE v.hospital_id IS NOT NULL AND v.patient_id IS NOT NULL
            GROUP BY v.hospital_id, v.patient_id
        ), fresh AS (
            SELECT v.* FROM visits v
            WHERE NOT EXISTS (SELECT FROM patient_hospital_numbers p
                              WHERE p.hospital_id = v.hospital_id AND p.patient_id = v.patient_id)
        ), wanted AS (
            SELECT f.hospital_id, count(*)::integer AS how_many FROM fresh f GROUP BY f.hospital_id
        ), series AS (
            INSERT INTO patient_number_series AS s (hospital_id, prefix, last_number)
            SELECT w.hospital_id, healthdash_hospital_initials(h.name), w.how_many
            FROM wanted w JOIN hospitals h ON h.id = w.hospital_id
            ORDER BY w.hospital_id
            ON CONFLICT (hospital_id) DO UPDATE SET last_number = s.last_number + excluded.last_number
            RETURNING s.hospital_id, s.prefix, s.last_number
        ), numbered AS (
            SELECT f.hospital_id, f.patient_id, s.prefix,
                   s.last_number - w.how_many
                   + row_number() OVER (PARTITION BY f.hospital_id ORDER BY f.first_seen, f.patient_id) AS n
            FROM fresh f JOIN wanted w USING (hospital_id) JOIN series s USING (hospital_id)
        )
        INSERT INTO patient_hospital_numbers (hospital_id, patient_id, sequence_number, number)
        SELECT hospital_id, patient_id, n, healthdash_patient_number(prefix, n::integer) FROM numbered
        ORDER BY hospital_id, n
        ON CONFLICT (hospital_id, patient_id) DO NOTHING;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION healthdash_patient_candidates(name_query text, phone_from text, phone_to text, max_rows integer)
    RETURNS TABLE (user_id text, matched_by text, score real)
    LANGUAGE sql STABLE SECURITY DEFINER ROWS 20  -- a page of matches; the default guess, 1,000, made users a scan
    SET search_path = public, pg_temp SET pg_trgm.word_similarity_threshold = {NAME_THRESHOLD} AS $$
        (SELECT p.user_id, 'phone', 1::real FROM profiles p
          WHERE phone_from IS NOT NULL AND p.role = 'PATIENT' AND p.hospital_id IS NULL
            AND healthdash_phone_digits(p.phone) >= phone_from
            AND (phone_to IS NULL OR healthdash_phone_digits(p.phone) < phone_to)
          ORDER BY healthdash_phone_digits(p.phone), p.user_id
          LIMIT max_rows)
        UNION ALL
        (SELECT p.user_id, 'name', (strict_word_similarity(name_query, n) + similarity(name_query, n) / 100)::real
           FROM profiles p, LATERAL healthdash_search_name(p.first_name, p.last_name) AS n
          WHERE name_query IS NOT NULL AND p.role = 'PATIENT' AND p.hospital_id IS NULL
            AND name_query <% healthdash_search_name(p.first_name, p.last_name)
          ORDER BY 3 DESC, p.user_id
          LIMIT max_rows)
    $$
    """,
]
FUNCTION_NAMES = (
    "healthdash_patient_candidates(text, text, text, integer)",
    "healthdash_number_new_patients()",
    "healthdash_phone_digits(text)",
    "healthdash_search_name(text, text)",
    "healthdash_patient_number(text, integer)",
    "healthdash_hospital_initials(text)",
)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for function in FUNCTIONS:
        op.execute(function)
    op.create_table(
        "patient_number_series",
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("last_number", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("last_number >= 0", name=op.f("ck_patient_number_series_last_number_non_negative")),
        sa.CheckConstraint("prefix ~ '^[A-Z0-9]{1,8}$'", name=op.f("ck_patient_number_series_prefix_shape")),
        sa.ForeignKeyConstraint(
            ["hospital_id"],
            ["hospitals.id"],
            name=op.f("fk_patient_number_series_hospital_id_hospitals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hospital_id", name=op.f("pk_patient_number_series")),
    )
    op.create_table(
        "patient_hospital_numbers",
        sa.Column("hospital_id", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("sequence_number", sa.Integer(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("sequence_number > 0", name=op.f("ck_patient_hospital_numbers_sequence_positive")),
        sa.ForeignKeyConstraint(
            ["hospital_id"],
            ["hospitals.id"],
            name=op.f("fk_patient_hospital_numbers_hospital_id_hospitals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_patient_hospital_numbers_patient_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("hospital_id", "patient_id", name=op.f("pk_patient_hospital_numbers")),
        sa.UniqueConstraint("hospital_id", "number", name=op.f("uq_patient_hospital_numbers_hospital_id_number")),
        sa.UniqueConstraint(
            "hospital_id", "sequence_number", name=op.f("uq_patient_hospital_numbers_hospital_id_sequence_number")
        ),
    )
    op.create_index(op.f("ix_patient_hospital_numbers_patient_id"), "patient_hospital_numbers", ["patient_id"])
    for table in SCOPED:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY hospital_scope ON {table} "
            "USING (healthdash_scope_allows(hospital_id)) WITH CHECK (healthdash_scope_allows(hospital_id))"
        )
    for table in NUMBERED_BY:
        op.execute(
            f"CREATE TRIGGER trg_{table}_patient_number AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION healthdash_number_new_patients()"
        )
    op.execute(
        "CREATE INDEX ix_profiles_patient_search_name ON profiles "
        "USING gin (healthdash_search_name(first_name, last_name) gin_trgm_ops) WHERE role = 'PATIENT'"
    )
    op.execute(
        "CREATE INDEX ix_profiles_patient_phone_digits ON profiles (healthdash_phone_digits(phone)) "
        "WHERE role = 'PATIENT'"
    )
    # Patients already in the database get their numbers now, in order of first visit, as the trigger would have.
    op.execute(
        """
        WITH visits AS (
            SELECT hospital_id, patient_id, min(created_at) AS first_seen FROM (
                SELECT hospital_id, patient_id, created_at FROM hospital_patients
                UNION ALL SELECT hospital_id, patient_id, created_at FROM appointments
                UNION ALL SELECT hospital_id, patient_id, created_at FROM patient_waitlist
            ) v WHERE hospital_id IS NOT NULL AND patient_id IS NOT NULL GROUP BY hospital_id, patient_id
        ), numbered AS (
            SELECT v.hospital_id, v.patient_id, healthdash_hospital_initials(h.name) AS prefix,
                   row_number() OVER (PARTITION BY v.hospital_id ORDER BY v.first_seen, v.patient_id) AS n
            FROM visits v JOIN hospitals h ON h.id = v.hospital_id
        ), series AS (
            INSERT INTO patient_number_series (hospital_id, prefix, last_number)
            SELECT hospital_id, min(prefix), max(n) FROM numbered GROUP BY hospital_id
        )
        INSERT INTO patient_hospital_numbers (hospital_id, patient_id, sequence_number, number)
        SELECT hospital_id, patient_id, n, healthdash_patient_number(prefix, n::integer) FROM numbered
        """
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_profiles_patient_phone_digits")
    op.execute("DROP INDEX IF EXISTS ix_profiles_patient_search_name")
    for table in NUMBERED_BY:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_patient_number ON {table}")
    op.drop_index(op.f("ix_patient_hospital_numbers_patient_id"), table_name="patient_hospital_numbers")
    op.drop_table("patient_hospital_numbers")  # its policy and RLS go with it
    op.drop_table("patient_number_series")
    for name in FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
    # RESTRICT (the default): if anything else has come to use pg_trgm, the downgrade stops here and says so.
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")

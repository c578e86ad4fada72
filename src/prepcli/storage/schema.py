"""The database schema as its migrations."""

from __future__ import annotations

# Ordered, append-only: a shipped migration is never edited; a change is a new entry.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: cards, the review log, settings
        """CREATE TABLE card (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            phase INTEGER NOT NULL DEFAULT 0,
            step INTEGER,
            stability REAL,
            difficulty REAL,
            due_ms INTEGER,
            due_day INTEGER,
            last_review_ms INTEGER,
            reps INTEGER NOT NULL DEFAULT 0,
            lapses INTEGER NOT NULL DEFAULT 0,
            suspended INTEGER NOT NULL DEFAULT 0,
            buried_until_day INTEGER,
            leech INTEGER NOT NULL DEFAULT 0,
            modified_ms INTEGER NOT NULL
        )""",
        "CREATE INDEX card_due ON card(phase, due_day)",
        """CREATE TABLE review (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            card_id INTEGER NOT NULL REFERENCES card(id),
            reviewed_ms INTEGER NOT NULL,
            study_day INTEGER NOT NULL,
            tz_offset_min INTEGER NOT NULL,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 4),
            kind INTEGER NOT NULL,
            duration_ms INTEGER,
            elapsed_days REAL,
            scheduled_days REAL,
            r_predicted REAL,
            desired_retention REAL,
            b_phase INTEGER NOT NULL, b_step INTEGER, b_stability REAL, b_difficulty REAL,
            b_due_ms INTEGER, b_due_day INTEGER, b_last_review_ms INTEGER,
            b_reps INTEGER NOT NULL, b_lapses INTEGER NOT NULL, b_leech INTEGER NOT NULL,
            a_phase INTEGER NOT NULL, a_step INTEGER, a_stability REAL, a_difficulty REAL,
            a_due_ms INTEGER, a_due_day INTEGER, a_last_review_ms INTEGER,
            a_reps INTEGER NOT NULL, a_lapses INTEGER NOT NULL, a_leech INTEGER NOT NULL
        )""",
        "CREATE INDEX review_card ON review(card_id, reviewed_ms)",
        "CREATE INDEX review_day ON review(study_day)",
        "CREATE TABLE setting (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
    (  # 2: started study plans and their ticked tasks
        """CREATE TABLE plan_run (
            id INTEGER PRIMARY KEY,
            plan_id TEXT NOT NULL,
            start_day INTEGER NOT NULL,
            interview_day INTEGER,
            started_ms INTEGER NOT NULL,
            active INTEGER NOT NULL DEFAULT 1
        )""",
        """CREATE TABLE task_done (
            run_id INTEGER NOT NULL REFERENCES plan_run(id),
            task_id TEXT NOT NULL,
            done_ms INTEGER NOT NULL,
            PRIMARY KEY (run_id, task_id)
        )""",
    ),
    (  # 3: why a review happened early (e.g. 'interview' for the interview-date planner)
        "ALTER TABLE review ADD COLUMN reason TEXT",
    ),
    (  # 4: mock quizzes, kept apart from the FSRS review log
        """CREATE TABLE quiz (
            id INTEGER PRIMARY KEY,
            started_ms INTEGER NOT NULL,
            finished_ms INTEGER,
            minutes INTEGER NOT NULL,
            selection TEXT NOT NULL
        )""",
        """CREATE TABLE quiz_answer (
            id INTEGER PRIMARY KEY,
            quiz_id INTEGER NOT NULL REFERENCES quiz(id),
            card_key TEXT NOT NULL,
            mark INTEGER NOT NULL CHECK (mark BETWEEN 0 AND 2),
            answered_ms INTEGER NOT NULL,
            duration_ms INTEGER
        )""",
        "CREATE INDEX quiz_answer_quiz ON quiz_answer(quiz_id)",
    ),
    (  # 5: personal FSRS parameters fitted by `prepcli optimize`; the newest row is in use
        """CREATE TABLE fsrs_params (
            id INTEGER PRIMARY KEY,
            created_ms INTEGER NOT NULL,
            params TEXT NOT NULL,
            n_items INTEGER NOT NULL,
            log_loss REAL,
            rmse_bins REAL,
            source TEXT NOT NULL
        )""",
    ),
    (  # 6: the queue's and the interview planner's reads answered from one index, without
        # visiting the table (with 20,000 cards, a random row read per due card was most of
        # the planner's time)
        "CREATE INDEX card_schedule ON card(phase, due_day, suspended, buried_until_day, "
        "due_ms, stability, last_review_ms, key)",
    ),
    (  # 7: suspended cards and leeches (a few) counted without reading every card's row
        "CREATE INDEX card_flagged ON card(suspended, leech) WHERE suspended OR leech",
    ),
    (  # 8: sync through a folder (storage/syncdb.py): this device, what it read and wrote
        """CREATE TABLE sync_device (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            device TEXT NOT NULL,
            name TEXT NOT NULL,
            next_seq INTEGER NOT NULL,
            segment TEXT,
            review_mark INTEGER NOT NULL DEFAULT 0,
            rules INTEGER,
            folder TEXT,
            synced_ms INTEGER
        )""",
        """CREATE TABLE sync_file (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            device TEXT NOT NULL,
            name TEXT,
            read_bytes INTEGER NOT NULL DEFAULT 0,
            read_lines INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE sync_event (
            id TEXT PRIMARY KEY,
            device TEXT NOT NULL,
            seq INTEGER NOT NULL,
            at_ms INTEGER NOT NULL,
            type TEXT NOT NULL,
            card TEXT,
            review_id INTEGER UNIQUE,
            dead INTEGER NOT NULL DEFAULT 0,
            prev INTEGER,
            rules INTEGER,
            data TEXT,
            file INTEGER,
            pos INTEGER
        ) WITHOUT ROWID""",
        "CREATE INDEX sync_event_card ON sync_event(card, type) WHERE card IS NOT NULL",
        "CREATE INDEX sync_event_other ON sync_event(type) WHERE card IS NULL",
        "CREATE INDEX sync_event_unwritten ON sync_event(device, seq) WHERE file IS NULL",
        """CREATE TABLE sync_card (
            key TEXT PRIMARY KEY,
            digest INTEGER NOT NULL DEFAULT 0,
            latest_ms INTEGER,
            suspended INTEGER NOT NULL DEFAULT 0,
            buried_until_day INTEGER
        ) WITHOUT ROWID""",
        "CREATE TABLE sync_undo (target TEXT PRIMARY KEY, event TEXT NOT NULL) WITHOUT ROWID",
        """CREATE TABLE sync_plan (
            run_id INTEGER PRIMARY KEY,
            event TEXT NOT NULL UNIQUE,
            interview_day INTEGER
        )""",
        """CREATE TABLE sync_task (
            event TEXT NOT NULL,
            task TEXT NOT NULL,
            done INTEGER NOT NULL,
            PRIMARY KEY (event, task)
        ) WITHOUT ROWID""",
        "CREATE TABLE sync_setting (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID",
        "CREATE TABLE sync_parameters (params_id INTEGER PRIMARY KEY, event TEXT NOT NULL UNIQUE)",
        # What the tables forget: a tick taken back, a flag set and cleared again between
        # two syncs. Triggers note them (no code path changes); each sync reads and clears.
        """CREATE TABLE sync_touched (
            what TEXT NOT NULL,
            key TEXT NOT NULL,
            PRIMARY KEY (what, key)
        ) WITHOUT ROWID""",
        # Only in a database that syncs. (NOT EXISTS rather than OR IGNORE: the statement
        # that fires a trigger decides its conflicts, and an upsert's would abort.)
        """CREATE TRIGGER sync_untick AFTER DELETE ON task_done
        WHEN EXISTS (SELECT 1 FROM sync_device) BEGIN
            INSERT INTO sync_touched (what, key)
            SELECT 'untick', old.run_id || char(9) || old.task_id WHERE NOT EXISTS (
                SELECT 1 FROM sync_touched
                WHERE what = 'untick' AND key = old.run_id || char(9) || old.task_id
            );
        END""",
        """CREATE TRIGGER sync_flags AFTER UPDATE OF suspended, buried_until_day ON card
        WHEN (old.suspended IS NOT new.suspended
            OR old.buried_until_day IS NOT new.buried_until_day)
            AND EXISTS (SELECT 1 FROM sync_device) BEGIN
            INSERT INTO sync_touched (what, key) SELECT 'flags', new.key WHERE NOT EXISTS (
                SELECT 1 FROM sync_touched WHERE what = 'flags' AND key = new.key
            );
        END""",
        """CREATE TABLE sync_problem (
            path TEXT NOT NULL,
            line INTEGER NOT NULL,
            col INTEGER NOT NULL,
            message TEXT NOT NULL,
            found_ms INTEGER NOT NULL,
            PRIMARY KEY (path, line, col, message)
        ) WITHOUT ROWID""",
    ),
    (  # 9: the statistics' tallies of the review log (storage/logfacts.py); no mark yet,
        # so the first `stats` counts the log
        """CREATE TABLE review_tally_day (
            study_day INTEGER NOT NULL,
            retention_class INTEGER NOT NULL,
            passed INTEGER NOT NULL,
            answers INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL,
            PRIMARY KEY (study_day, retention_class, passed)
        ) WITHOUT ROWID""",
        """CREATE TABLE review_tally_bin (
            bin INTEGER NOT NULL,
            seconds INTEGER NOT NULL,
            passed INTEGER NOT NULL,
            answers INTEGER NOT NULL,
            predicted REAL NOT NULL,
            PRIMARY KEY (bin, seconds, passed)
        ) WITHOUT ROWID""",
        """CREATE TABLE review_tally_span (
            from_day INTEGER NOT NULL,
            to_day INTEGER NOT NULL,
            answers INTEGER NOT NULL,
            PRIMARY KEY (from_day, to_day)
        ) WITHOUT ROWID""",
        # At most one row: the tallies count the review rows with id <= upto_id. A new
        # row's id is above every id the table ever held (AUTOINCREMENT, and sync's
        # next_review_id), so only a change to a row can touch what was counted: no
        # trigger on insert, which would cost every answer and every synced row.
        "CREATE TABLE review_tally_mark (upto_id INTEGER NOT NULL)",
        """CREATE TRIGGER review_tally_stale_on_update AFTER UPDATE ON review
            WHEN old.id <= (SELECT upto_id FROM review_tally_mark) BEGIN
            DELETE FROM review_tally_mark;
        END""",
        """CREATE TRIGGER review_tally_stale_on_delete AFTER DELETE ON review
            WHEN old.id <= (SELECT upto_id FROM review_tally_mark) BEGIN
            DELETE FROM review_tally_mark;
        END""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

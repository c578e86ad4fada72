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
)
SCHEMA_VERSION = len(MIGRATIONS)

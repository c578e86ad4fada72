"""Study plan files: read a plan's YAML and check it against the decks (core/plans.py
has the records, core/planlayout.py and core/planstatus.py what is done with them)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from prepcli.core.errors import Problem, ProblemsError
from prepcli.core.plans import Plan, Selector, Task, Week

if TYPE_CHECKING:
    from prepcli.core.cards import DeckSet
    from prepcli.files.yamlfile import Node


# --- loading -------------------------------------------------------------------------------

PLAN_KEYS = {"version": False, "plan": True, "title": True, "description": False, "weeks": True}
WEEK_KEYS = {"title": True, "focus": False, "introduce": True, "tasks": False}
SELECTOR_KEYS = {"deck": False, "tags": False}
TASK_KEYS = {"id": True, "title": True}


def plan_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


class PlanUnreadable(Exception):
    """A plan file that cannot be read now (it may be later, unchanged)."""


def plan_id_in(path: Path) -> str | None:
    """The `plan:` id a plan file declares, or None when it declares none (read without
    checking the plan against the decks, which needs every card); PlanUnreadable when the
    file cannot be read."""
    from prepcli.files.yamlfile import load as load_yaml

    root, problems = load_yaml(path)
    if root is None and any(p.message.startswith("file ") for p in problems):
        raise PlanUnreadable(path)
    if root is None or not isinstance(root.value, dict):
        return None
    found = root.value.get("plan")
    return found.value if found is not None and isinstance(found.value, str) else None


def load_plan(path: Path, decks: DeckSet, *, absent_decks_ok: bool = False) -> Plan:
    """The plan in `path`, checked against `decks`. `absent_decks_ok`: a deck the plan
    names that is not loaded (a running plan with `--no-bundled`) selects no card instead
    of being a problem."""
    from prepcli.files.yamlfile import load as load_yaml  # PyYAML only when a plan is read

    root, problems = load_yaml(path)
    validator = _PlanValidator(str(path), problems, decks, absent_decks_ok=absent_decks_ok)
    plan = None if root is None else validator.plan(root)
    if problems or plan is None:
        raise ProblemsError(problems or [Problem(str(path), 1, 1, "not a plan")])
    return plan


class _PlanValidator:
    def __init__(
        self, path: str, problems: list[Problem], decks: DeckSet, *, absent_decks_ok: bool
    ) -> None:
        from prepcli.files.deckcheck import (  # the deck rules: only when a plan is read
            DECK_ID,
            SLUG,
        )

        self.slug, self.deck_id = SLUG, DECK_ID
        self.absent_decks_ok = absent_decks_ok
        self.path = path
        self.problems = problems
        self.decks = {d.id: d for d in decks.decks}
        self.tags_by_deck: dict[str, set[str]] = {}
        for deck in decks.decks:
            tags = set(deck.tags)
            for card in deck.cards:
                tags |= set(card.tags)
            self.tags_by_deck[deck.id] = tags

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.path, node.line, node.col, message))

    def mapping(self, node: Node, allowed: dict[str, bool], what: str) -> dict[str, Node] | None:
        if not isinstance(node.value, dict):
            self.problem(node, f"{what} must be a mapping, not {node.type_name()}")
            return None
        for key, value in node.value.items():
            if key not in allowed:
                names = ", ".join(sorted(allowed))
                self.problems.append(
                    Problem(
                        self.path,
                        value.key_line,
                        value.key_col,
                        f"unknown key {key!r} in {what} (allowed: {names})",
                    )
                )
        for key, required in allowed.items():
            if required and key not in node.value:
                self.problem(node, f"{what} is missing required key {key!r}")
        return node.value

    def text(self, node: Node | None, name: str) -> str:
        if node is None:
            return ""
        if not isinstance(node.value, str) or not node.value.strip():
            self.problem(node, f"{name!r} must be a non-empty string")
            return ""
        return node.value

    def items(self, node: Node | None, name: str) -> list[Node]:
        if node is None:
            return []
        if not isinstance(node.value, list):
            self.problem(node, f"{name!r} must be a list, not {node.type_name()}")
            return []
        return node.value

    def plan(self, root: Node) -> Plan | None:
        fields = self.mapping(root, PLAN_KEYS, "plan")
        if fields is None:
            return None
        version = fields.get("version")
        if version is not None and version.value != 1:
            self.problem(version, f"unsupported format version {version.value!r} (expected 1)")
        plan_id = self.text(fields.get("plan"), "plan")
        if plan_id and not self.slug.match(plan_id):
            self.problem(fields["plan"], f"plan id {plan_id!r} must be a lowercase slug")
        weeks_node = fields.get("weeks")
        week_nodes = self.items(weeks_node, "weeks")
        if weeks_node is not None and isinstance(weeks_node.value, list) and not week_nodes:
            self.problem(weeks_node, "plan has no weeks")
        seen_tasks: dict[str, int] = {}
        weeks = [self.week(node, number, seen_tasks) for number, node in enumerate(week_nodes, 1)]
        return Plan(
            id=plan_id,
            title=self.text(fields.get("title"), "title"),
            description=self.text(fields.get("description"), "description"),
            path=self.path,
            weeks=tuple(w for w in weeks if w is not None),
        )

    def week(self, node: Node, number: int, seen_tasks: dict[str, int]) -> Week | None:
        fields = self.mapping(node, WEEK_KEYS, "week")
        if fields is None:
            return None
        selectors = [self.selector(s) for s in self.items(fields.get("introduce"), "introduce")]
        tasks = []
        for task_node in self.items(fields.get("tasks"), "tasks"):
            task_fields = self.mapping(task_node, TASK_KEYS, "task")
            if task_fields is None:
                continue
            task_id = self.text(task_fields.get("id"), "id")
            if task_id and not self.slug.match(task_id):
                self.problem(task_fields["id"], f"task id {task_id!r} must be a lowercase slug")
            elif task_id in seen_tasks:
                self.problem(
                    task_fields["id"],
                    f"duplicate task id {task_id!r} (first in week {seen_tasks[task_id]})",
                )
            elif task_id:
                seen_tasks[task_id] = number
                tasks.append(Task(task_id, self.text(task_fields.get("title"), "title"), number))
        return Week(
            number=number,
            title=self.text(fields.get("title"), "title"),
            focus=self.text(fields.get("focus"), "focus") if "focus" in fields else "",
            introduce=tuple(s for s in selectors if s is not None),
            tasks=tuple(tasks),
        )

    def selector(self, node: Node) -> Selector | None:
        fields = self.mapping(node, SELECTOR_KEYS, "introduce entry")
        if fields is None:
            return None
        if not fields:
            self.problem(node, "an introduce entry needs a deck, tags or both")
            return None
        deck: str | None = None
        if "deck" in fields:
            deck = self.text(fields["deck"], "deck")
            if deck and not self.deck_id.match(deck):
                self.problem(fields["deck"], f"deck id {deck!r} is not a dotted lowercase id")
            elif deck and deck not in self.decks and not self.absent_decks_ok:
                self.problem(fields["deck"], f"no deck {deck!r} in the decks")
        tags: list[str] = []
        absent = self.absent_decks_ok and (deck not in self.decks if deck else True)
        for tag_node in self.items(fields.get("tags"), "tags"):
            tag = self.text(tag_node, "tag")
            if not tag:
                continue
            if absent:  # its deck is not loaded: the tag cannot be checked
                tags.append(tag)
                continue
            known = (
                self.tags_by_deck.get(deck, set())
                if deck
                else set().union(*self.tags_by_deck.values())
            )
            if tag not in known:
                where = f"deck {deck!r}" if deck else "any deck"
                self.problem(tag_node, f"no card in {where} has the tag {tag!r}")
            tags.append(tag)
        return Selector(deck or None, tuple(tags))


# --- progress --------------------------------------------------------------------------------

"""Adaptive Cards for tests: validated against the official 1.5 schema (tests/schemas/), and read as a person would.

`validate_card` checks a card with the validator of the schema's own draft (draft-06) and its format checks;
`card_texts` lists the words a card shows, in order, with the markdown escapes taken out.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jsonschema import ValidationError, validators

from bot.teams.card_text import read_as_shown

SCHEMA = Path(__file__).parent / "schemas" / "adaptive-card-1.5.json"


@lru_cache(maxsize=1)
def _validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate_card(card: dict) -> None:
    """Raise AssertionError naming where the card breaks the Adaptive Cards 1.5 schema and how. A card must also
    say it is one, in version 1.5 (the schema lets a card within a card leave its version out)."""
    errors = list(_validator().iter_errors(card))
    if errors:
        worst = _explained(errors[0])
        raise AssertionError(f"{worst.json_path}: {worst.message} ({len(errors)} error(s) in all)")
    if card.get("type") != "AdaptiveCard" or card.get("version") != "1.5":
        raise AssertionError(f"$: not an Adaptive Card 1.5 (type {card.get('type')!r}, version {card.get('version')!r})")


def _explained(error: ValidationError) -> ValidationError:
    """The error that says what is wrong. An element is checked against every element type (anyOf), and "not
    valid under any of the given schemas" names none: look inside the one alternative whose `type` matched."""
    if not error.context:
        return error
    by_alternative: dict[object, list[ValidationError]] = {}
    for inner in error.context:
        by_alternative.setdefault(inner.relative_schema_path[0], []).append(inner)
    matched = [inner for inner in by_alternative.values()
               if not any(e.relative_path and e.relative_path[-1] == "type" for e in inner)
               and not any(e.validator == "required" and "'type'" in e.message for e in inner)]
    if len(matched) != 1:
        return error
    return _explained(max(matched[0], key=lambda e: len(e.absolute_path)))


def card_texts(card: dict) -> list[str]:
    """Every text a person would read on the card, in order: text blocks and rich text (escapes removed), each
    fact's title and value, each table cell, each image's alt text, each button's title."""
    texts: list[str] = []
    _read(card.get("body", []), texts)
    _read(card.get("actions", []), texts)
    return texts


def _read(elements: list, texts: list[str]) -> None:
    for element in elements:
        kind = element.get("type")
        if kind == "TextBlock":
            texts.append(read_as_shown(element.get("text", "")))
        elif kind == "RichTextBlock":
            texts.append("".join(run if isinstance(run, str) else run.get("text", "")
                                 for run in element.get("inlines", [])))
        elif kind == "FactSet":
            for fact in element.get("facts", []):
                texts += [read_as_shown(fact.get("title", "")), read_as_shown(fact.get("value", ""))]
        elif kind == "Table":
            for row in element.get("rows", []):
                _read(row.get("cells", []), texts)
        elif kind in ("Container", "TableCell", "Column"):
            _read(element.get("items", []), texts)
        elif kind == "ColumnSet":
            _read(element.get("columns", []), texts)
        elif kind == "Image":
            texts.append(element.get("altText", ""))
        elif kind == "ActionSet":
            _read(element.get("actions", []), texts)
        elif kind and kind.startswith("Action."):
            texts.append(element.get("title", ""))


def card_elements(card: dict, kind: str) -> list[dict]:
    """Every element of `kind` in the card, at any depth, in order."""
    found: list[dict] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            if value.get("type") == kind:
                found.append(value)
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(card.get("body", []))
    walk(card.get("actions", []))
    return found

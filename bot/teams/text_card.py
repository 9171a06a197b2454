"""A stand-in for bot.teams.cards until it is installed: the answer's plain text in one Adaptive Card, with
the ledger key in the first card as cards.py carries it. Same interface (render_cards, fallback_text,
attachment); nothing else imports it."""
from __future__ import annotations

from answers.response import Response
from bot.render_text import render_text

CARD_VERSION = "1.5"


def fallback_text(response: Response) -> str:
    return render_text(response)


def render_cards(response: Response, key: str | None = None) -> list[dict]:
    body: list[dict] = [{"type": "TextBlock", "text": line or " ", "wrap": True}
                        for line in render_text(response).splitlines()]
    if key:
        body = [{"type": "Container", "id": f"kpibot-key:{key}", "items": body}]
    return [{"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
             "version": CARD_VERSION, "body": body}]


def attachment(card: dict) -> dict:
    return {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}

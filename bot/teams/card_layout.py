"""Cards filled to a size guard: an answer's elements laid into as many cards as it takes, in order.

Each card starts with the answer's title (the first inside the Container that carries the ledger key, the rest
with "(continued)"); an element that does not fit in the card being filled starts the next one. A table is split
between rows, each piece with its header row, so no row is cut or lost; a chart is shrunk until it fits in a card
of its own, and where even that fails the card says so in words. Sizes are counted exactly: with the JSON
writer `card_size` measures by, a list's size is its items' sizes plus two bytes between each.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.teams.card_images import data_uri, fitted_png, fitted_together
from bot.teams.card_text import card_size

SEPARATOR = 2  # ", " between two items of a list
# Past this many rows a table is hard to read on a phone even when the card could carry more.
MAX_ROWS_PER_CARD = 50


def element_size(element: dict) -> int:
    return len(json.dumps(element).encode("utf-8"))


@dataclass
class TablePiece:
    """A table to lay out: its element without rows, its header row and its rows (each an element already)."""

    table: dict
    header: dict
    rows: list[dict]
    # A row (its index) as a card can carry it when, with the header row, it is too large for any card: both
    # with their cells clipped short. Built only then, which real answers never need.
    shortened_row: object = None
    shortened_header: dict | None = None


@dataclass
class ChartPiece:
    """A chart to lay out: an Image element without its url, the PNG, and what to say when it cannot fit."""

    image: dict
    png: bytes
    too_large: dict


# Narrower than this, a chart shrunk to share a card with the words is hard to read (a card in Teams is about
# 500 px wide on a laptop and less on a phone): it goes in
# a card of its own instead, where it may be shrunk further only if it must.
READABLE_WIDTH = 480


@dataclass
class Layout:
    """Cards being filled. `skeleton(first)` is a card with nothing in its body but its title element."""

    skeleton: object
    limit: int
    cards: list[dict] = field(default_factory=list)
    _size: int = 0

    def __post_init__(self):
        self._start(first=True)

    def _start(self, first: bool = False) -> None:
        card = self.skeleton(first)
        self.cards.append(card)
        self._size = card_size(card)

    @property
    def _room(self) -> int:
        return self.limit - self._size - SEPARATOR

    @property
    def _fresh(self) -> bool:
        return len(self.cards[-1]["body"]) == 1

    def add(self, element: dict) -> None:
        size = element_size(element)
        if size > self._room and not self._fresh:
            self._start()
        self.cards[-1]["body"].append(element)
        self._size += size + SEPARATOR

    def _empty_room(self) -> int:
        """Room for one element in any card holding only its title (the first or a continued one)."""
        return self.limit - max(card_size(self.skeleton(True)), card_size(self.skeleton(False))) - SEPARATOR

    def add_table(self, piece: TablePiece) -> None:
        base = element_size({**piece.table, "rows": []}) + element_size(piece.header)
        sizes = [element_size(row) + SEPARATOR for row in piece.rows]
        start = 0
        while start < len(piece.rows):
            room, taken, used = self._room - base, 0, 0
            for size in sizes[start:start + MAX_ROWS_PER_CARD]:
                if used + size > room:
                    break
                taken, used = taken + 1, used + size
            if taken == 0 and not self._fresh:
                self._start()
                continue
            if taken == 0:  # even alone in a card, the row and the header row do not fit: both are clipped
                self.add({**piece.table, "rows": [piece.shortened_header, piece.shortened_row(start)]})
                taken = 1
            else:
                self.add({**piece.table, "rows": [piece.header, *piece.rows[start:start + taken]]})
            start += taken
            if start < len(piece.rows):
                self._start()

    def add_charts(self, pieces: list[ChartPiece]) -> None:
        """The charts beside the words already in this card, all at one width that keeps them readable, when
        they fit there together; else each in a card of its own, shrunk only as far as it must be."""
        if pieces and not self._fresh:
            images = sum(element_size({**piece.image, "url": ""}) + SEPARATOR for piece in pieces)
            together = fitted_together([piece.png for piece in pieces], self._room - images, READABLE_WIDTH)
            if together is not None:
                for piece, png in zip(pieces, together):
                    self.add({**piece.image, "url": data_uri(png)})
                return
        for piece in pieces:
            self.add_chart(piece)

    def add_chart(self, piece: ChartPiece) -> None:
        image = element_size({**piece.image, "url": ""})
        png = fitted_png(piece.png, self._empty_room() - image)
        self.add(piece.too_large if png is None else {**piece.image, "url": data_uri(png)})

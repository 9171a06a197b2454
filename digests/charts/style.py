"""The charts' house style: colours (Okabe-Ito, safe for colour-blind readers), type sizes, the phone-width page,
the words every chart shares, and what a chart returns (or raises when it has nothing to draw)."""
from __future__ import annotations

from dataclasses import dataclass

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermilion": "#D55E00", "reddish_purple": "#CC79A7",
}
INK = "#1A1A1A"
MUTED = "#4D4D4D"  # footnotes and secondary labels; 8:1 on white
GRID = "#E3E3E3"
SERIES = OKABE_ITO["blue"]
TARGET = OKABE_ITO["black"]
BASELINE = "#6E6E6E"
ALLOCATION = "#C9E1F2"  # a light tint of the series blue: the whole allocation behind the spend
SPENT = OKABE_ITO["blue"]
YEAR_ELAPSED = OKABE_ITO["black"]
LAGGING = OKABE_ITO["vermilion"]
REVIEW_COLOURS = {
    "received": OKABE_ITO["blue"],
    "completed_within_28_days": OKABE_ITO["bluish_green"],
    "not_completed_within_28_days": OKABE_ITO["vermilion"],
}
RAG_COLOURS = {"green": OKABE_ITO["bluish_green"], "amber": OKABE_ITO["orange"], "red": OKABE_ITO["vermilion"],
               "none": "#D9D9D9"}
RAG_LABELS = {"green": "GREEN", "amber": "AMBER", "red": "RED", "none": "NO RAG"}
BADGE_INK = "#000000"  # black on every RAG colour: at least 5:1 contrast, unlike white on orange

WIDTH_PX = 1200
DPI = 150
PAD = 24  # px round the edge of every chart
TITLE_PT = 19
BIG_PT = 22
BODY_PT = 14
SMALL_PT = 13  # the floor: nothing smaller is drawn
LINE_SPACING = 1.25
TREND_MONTHS = 13
SECTION_COLUMNS = 2

STYLE = {
    "font.family": "DejaVu Sans", "font.size": BODY_PT, "text.color": INK,
    "axes.spines.top": False, "axes.spines.right": False, "axes.spines.left": False,
    "axes.edgecolor": MUTED, "axes.linewidth": 1.2, "axes.labelcolor": INK, "axes.facecolor": "white",
    "axes.grid": False, "axes.axisbelow": True,
    "xtick.color": INK, "ytick.color": INK, "xtick.labelsize": BODY_PT, "ytick.labelsize": BODY_PT,
    "ytick.major.size": 0, "ytick.major.pad": 8, "xtick.major.pad": 6,
    "figure.facecolor": "white", "savefig.facecolor": "white", "path.simplify": True, "svg.hashsalt": "kpibot",
}

SOURCE = "kpibot database"
NO_FIGURES_PANEL = "No current figure"
NOTHING_TO_DRAW = "{what}: nothing to draw ({why}); the chart is held."
WHY_NO_POINTS = "no figures for the period"
WHY_NO_METRICS = "no metrics given"
WHY_NO_AREAS = "no area has an allocation"
WHY_NO_MONTHS = "no months given"
WHY_NO_REVIEWS = "no reviews received in any month"


class ChartError(ValueError):
    """Nothing to draw: an empty or all-N/A series, or no allocations. Hold the chart and report this message."""


@dataclass(frozen=True)
class ChartImage:
    png: bytes
    alt_text: str
    # The periods actually drawn, in words ("Jul 2025 to Sep 2025"), for the caption under the chart.
    span: str = ""


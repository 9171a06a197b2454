"""Charts in one house style: phone-readable PNGs, colour-blind-safe colours, RAG by colour and by word, deterministic bytes.

Every chart is 1200 px wide with type of at least 13 pt, labels its lines directly (in the margin, clear of the
data), says its period and source in a footnote and returns alt text that gives a screen-reader user the same
figures, with the span of periods it actually drew. A chart with nothing to draw raises ChartError instead: a
blank chart is never posted.

matplotlib is imported inside the drawing functions, so answering a text command never loads it; figures are
drawn on the Agg canvas directly (no pyplot, no display, no global figure registry).

style.py holds the house style, layout.py the layout engine, series.py what a metric's chart draws and says;
each chart has its own module.
"""
from digests.charts.csp import csp_chart
from digests.charts.reviews import reviews_chart
from digests.charts.section import section_chart
from digests.charts.style import DPI, OKABE_ITO, RAG_COLOURS, ChartError, ChartImage
from digests.charts.trend import trend_chart

__all__ = ["DPI", "OKABE_ITO", "RAG_COLOURS", "ChartError", "ChartImage", "csp_chart", "reviews_chart", "section_chart",
           "trend_chart"]

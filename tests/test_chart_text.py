"""Names from data are drawn as written: a `$` in a CSP area's name is not mathematics, and a control character
stored before it was refused is dropped, so neither stops the chart (nor the snapshot and digest that carry it)."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from PIL import Image

from digests.charts import csp_chart
from digests.charts.layout import measure
from storage.csp import csp_balances
from storage.periods import FinancialYear


def test_an_area_named_with_dollar_signs_is_drawn_not_parsed_as_mathematics():
    # matplotlib reads "$\frac{$" as the start of a formula it cannot parse; as a name it is just text
    balances = csp_balances({"Bla $\\frac{$ by": Decimal("1000.00"), "Melton": Decimal("500.00")},
                            [("Bla $\\frac{$ by", Decimal("250.00"))], FinancialYear(2025), date(2025, 10, 1))
    image = csp_chart(balances)
    assert Image.open(io.BytesIO(image.png)).format == "PNG"
    assert "Bla $\\frac{$ by" in image.alt_text


def test_a_stored_control_character_is_dropped_from_the_drawing():
    balances = csp_balances({"Bla\x07by": Decimal("1000.00")}, [("Bla\x07by", Decimal("100.00"))],
                            FinancialYear(2025), date(2025, 10, 1))
    assert Image.open(io.BytesIO(csp_chart(balances).png)).format == "PNG"
    # measured as drawn: the bell takes no room
    assert measure("Bla\x07by") == measure("Blaby")

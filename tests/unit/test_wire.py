"""Datelines, agencies and trailers of several agencies."""

from __future__ import annotations

import pytest

from workers.clean.wire import attribute, split_dateline, split_trailer


@pytest.mark.parametrize(
    ("paragraph", "city", "date", "agency", "rest"),
    [
        ("MOSCOW, July 14 (Reuters) - Freight rates fell.", "MOSCOW", "July 14", "Reuters", "Freight rates fell."),
        ("WASHINGTON (AP) -- The Senate voted.", "WASHINGTON", None, "AP", "The Senate voted."),
        ("PARIS, Jan. 3 (AFP) \u2014 Strikes spread.", "PARIS", "Jan. 3", "AFP", "Strikes spread."),
        ("BERLIN (dpa) - Talks resumed.", "BERLIN", None, "dpa", "Talks resumed."),
        (
            "NEW YORK, March 5, 2024 (Bloomberg) -- Stocks rose.",
            "NEW YORK",
            "March 5, 2024",
            "Bloomberg",
            "Stocks rose.",
        ),
        ("LONDON (PA Media) - Rail fares rise.", "LONDON", None, "PA", "Rail fares rise."),
    ],
)
def test_datelines(paragraph: str, city: str, date: str | None, agency: str, rest: str) -> None:
    wire, body = split_dateline(paragraph)
    assert (wire["city"], wire["date"], wire["agency"], body) == (city, date, agency, rest)


@pytest.mark.parametrize(
    "paragraph",
    ["Moscow (Reuters) said nothing.", "The Kremlin said on Monday (Reuters) - no.", "No dateline at all."],
)
def test_not_datelines(paragraph: str) -> None:
    wire, body = split_dateline(paragraph)
    assert wire["agency"] is None
    assert body == paragraph


@pytest.mark.parametrize(
    "trailer",
    [
        "(Reporting by Olesya Astakhova; Editing by Ros Russell)",
        "(Additional reporting by Jane Doe in Kabul; Writing by John Roe)",
        "(Editing by Mark Potter)",
    ],
)
def test_trailers(trailer: str) -> None:
    found, body = split_trailer(f"The last sentence. {trailer}")
    assert found == trailer
    assert body == "The last sentence."


def test_attribute_strips_both_ends_of_a_body() -> None:
    wire, body = attribute(["MOSCOW (Reuters) - First.", "Middle.", "Last. (Reporting by A; Editing by B)"])
    assert body == ["First.", "Middle.", "Last."]
    assert wire["agency"] == "Reuters"
    assert wire["trailer"] == "(Reporting by A; Editing by B)"


@pytest.mark.parametrize(
    ("paragraph", "city", "agency", "rest"),
    [
        ("(Reuters) \u2014 The New York attorney general is investigating.", None, "Reuters", "The New York"),
        ("Berlin (dpa) - Die Gespräche wurden fortgesetzt.", "Berlin", "dpa", "Die Gespräche"),
        ("BEIJING, Nov. 19 (Xinhua) -- China said.", "BEIJING", "Xinhua", "China said."),
        ("SYDNEY (AAP) - Rain fell.", "SYDNEY", "AAP", "Rain fell."),
        ("RIO DE JANEIRO (Associated Press) \u2013 Carnival began.", "RIO DE JANEIRO", "AP", "Carnival began."),
        ("ATLANTA (CNN) -- A storm hit.", "ATLANTA", "CNN", "A storm hit."),
        ("LONDON, 19 November (PA) - Rail fares rise.", "LONDON", "PA", "Rail fares rise."),
    ],
)
def test_more_dateline_forms(paragraph: str, city: str | None, agency: str, rest: str) -> None:
    wire, body = split_dateline(paragraph)
    assert (wire["city"], wire["agency"]) == (city, agency)
    assert body.startswith(rest)
    assert paragraph.startswith(wire["dateline"] or "-")


def test_a_credit_paragraph_is_a_trailer() -> None:
    credit = "Associated Press writer Jane Doe in Kabul contributed to this report."
    wire, body = attribute(["KABUL (AP) -- First.", "Middle.", credit])
    assert (wire["agency"], wire["trailer"], body) == ("AP", credit, ["First.", "Middle."])


def test_a_story_without_attribution_has_none() -> None:
    wire, body = attribute(["A local story.", "It ends here."])
    assert wire == {"agency": None, "dateline": None, "city": None, "date": None, "trailer": None}
    assert body == ["A local story.", "It ends here."]

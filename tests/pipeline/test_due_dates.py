"""Spoken deadlines resolved against the meeting's date (pure, fast)."""

from __future__ import annotations

from datetime import date

import pytest

from lifestream.pipeline.due_dates import find_due, resolve

WEDNESDAY = date(2026, 11, 25)
FRIDAY = date(2026, 11, 27)


@pytest.mark.parametrize("phrase,reference,expected", [
    ("today", WEDNESDAY, "2026-11-25"), ("EOD", WEDNESDAY, "2026-11-25"), ("end of the day", WEDNESDAY, "2026-11-25"),
    ("tomorrow afternoon", WEDNESDAY, "2026-11-26"),
    ("end of the week", WEDNESDAY, "2026-11-27"), ("this week", FRIDAY, "2026-11-27"),
    ("next week", WEDNESDAY, "2026-11-30"),
    ("friday", WEDNESDAY, "2026-11-27"), ("friday", FRIDAY, "2026-12-04"),  # said on a Friday: next week's
    ("next friday", WEDNESDAY, "2026-12-04"),
    ("end of the month", WEDNESDAY, "2026-11-30"), ("next month", date(2026, 12, 10), "2027-01-01"),
    ("end of the quarter", WEDNESDAY, "2026-12-31"), ("end of quarter", date(2026, 2, 1), "2026-03-31"),
    ("end of the year", WEDNESDAY, "2026-12-31"),
    ("march 3rd", WEDNESDAY, "2027-03-03"),  # already past this year: next year's
    ("december 1", WEDNESDAY, "2026-12-01"), ("the 5th of december", WEDNESDAY, "2026-12-05"),
    ("february 30", WEDNESDAY, None),  # no such day
])
def test_phrases(phrase, reference, expected):
    resolved = resolve(phrase, reference)
    assert (resolved.isoformat() if resolved else None) == expected


def test_the_first_deadline_in_a_sentence_as_said():
    assert find_due("I'll send the deck to Priya by Friday, then review it Monday", WEDNESDAY) == ("by Friday",
                                                                                                  "2026-11-27")
    assert find_due("Can you look at it before the end of the month?", WEDNESDAY) == ("before the end of the month",
                                                                                       "2026-11-30")
    assert find_due("We need to fix the login bug", WEDNESDAY) == (None, None)
    assert find_due("Mondays are busy", WEDNESDAY) == (None, None)  # a word boundary, not a prefix

"""The rule book's queries compiled once (recognition.rules.queries): the rows Django gives, compiled only once."""

import datetime

import pytest
from django.db.models.sql.compiler import SQLCompiler

from recognition import models
from recognition.rules import queries, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def compilations(monkeypatch):
    """How many times Django's compiler turned a query into SQL."""
    count = {"n": 0}
    as_sql = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        count["n"] += 1
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    return count


def rules_with_dates():
    columns = ["serial", "valid_from", "valid_until", "clause__anchor", "held__slug", "notice__number"]
    return models.RecognitionRule.objects.order_by("notice_id", "serial").values_list(*columns)


def test_the_rows_are_those_django_gives_types_converted_and_compiled_once(compilations):
    expected = list(rules_with_dates())
    assert expected and isinstance(expected[0][1], datetime.date)
    compilations["n"] = 0
    key = ("test-rules", "compiled-once")
    first = queries.rows(key, rules_with_dates)
    assert compilations["n"] == 1
    again = queries.rows(key, rules_with_dates)
    assert compilations["n"] == 1, "the second read compiles nothing"
    assert first == again == expected


def test_the_same_key_reads_the_rows_as_they_are_now():
    key = ("test-rules", "now")
    before = queries.rows(key, rules_with_dates)
    rule = models.RecognitionRule.objects.order_by("pk").first()
    rule.valid_until = datetime.date(2030, 12, 31)
    rule.save()
    assert queries.rows(key, rules_with_dates) == list(rules_with_dates()) != before


def test_a_query_that_can_match_nothing_runs_no_sql(django_assert_num_queries):
    def nothing():
        return models.Clause.objects.filter(notice__in=[]).values_list("anchor")

    with django_assert_num_queries(0):
        assert queries.rows(("test-clauses", ()), nothing) == []
        assert queries.rows(("test-clauses", ()), nothing) == []


def test_a_rebuilt_book_is_the_book_read_afresh(compilations):
    """A rebuild after the first compiles nothing, and gives the same book as one read with nothing compiled."""
    snapshot.load_rules("v")
    compilations["n"] = 0
    rebuilt = snapshot.load_rules("v")
    assert compilations["n"] == 0
    queries._compiled.clear()
    afresh = snapshot.load_rules("v")
    assert compilations["n"] > 0
    assert (rebuilt.rules, rebuilt.levels, rebuilt.notices, rebuilt.certificates) == (
        afresh.rules,
        afresh.levels,
        afresh.notices,
        afresh.certificates,
    )
    assert (rebuilt.clauses, rebuilt.facts, rebuilt.next_steps, rebuilt.provinces) == (
        afresh.clauses,
        afresh.facts,
        afresh.next_steps,
        afresh.provinces,
    )

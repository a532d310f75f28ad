"""The rule book's queries, each compiled to SQL once per process (recognition.rules.snapshot).

Django's ORM takes 0.2–0.6 ms to compile a query, more than SQLite takes to run most of the rule book's: in
today's world it was 40 % of a rebuild (5.8 of 14.6 ms for 17 queries), paid by every worker after each save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

# Keyed by what each query's SQL depends on (the notices read, drafts or not): a handful per process, but a key
# holds notice pks, so the table is cleared rather than let grow without bound.
MAX_COMPILED = 256


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: tuple
    converters: dict  # {position: ([converter, ...], expression)}, as Django's compiler applies them


_compiled: dict[tuple, Compiled | None] = {}


def rows(key: tuple, make: Callable[[], QuerySet]) -> list[tuple]:
    """The rows of `make()`, a `values_list` query, as Django would return them (types converted).

    `key` names the query and every value its SQL depends on: the same key must always make the same SQL.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    full_key = (connection.vendor, *key)
    if full_key not in _compiled:
        if len(_compiled) >= MAX_COMPILED:
            _compiled.clear()
        _compiled[full_key] = compile_query(make(), connection)
    compiled = _compiled[full_key]
    if compiled is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, compiled.params)
        fetched = cursor.fetchall()
    if not compiled.converters:
        return fetched
    return [converted(row, compiled.converters, connection) for row in fetched]


def compile_query(queryset: QuerySet, connection) -> Compiled | None:
    """None: the query can match nothing (`__in` an empty list), and Django runs no SQL for it."""
    compiler = queryset.query.get_compiler(connection=connection)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    selected = [expression for expression, _sql, _alias in compiler.select[: compiler.col_count]]
    return Compiled(sql, tuple(params), compiler.get_converters(selected))


def converted(row: tuple, converters: dict, connection) -> tuple:
    values = list(row)
    for position, (functions, expression) in converters.items():
        value = values[position]
        for function in functions:
            value = function(value, expression, connection)
        values[position] = value
    return tuple(values)

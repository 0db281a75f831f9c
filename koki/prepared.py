"""Queries composed by the ORM once per process and then run as their SQL.

A registration runs the same few reads under a room's lock in every request of a rush, and
Django takes several times as long to compose each of them as PostgreSQL takes to answer it
(`make bench`). A `PreparedQuery` keeps the ORM expression as the one definition of the query:
it is composed once with sample values standing in for the real ones, and each call runs that
SQL with the real values in their places.
"""

import datetime as dt
from collections.abc import Callable

from django.db import connection
from django.db.models import QuerySet


class PreparedQuery:
    """`build(**samples)` returns a `values_list()` queryset; calling the PreparedQuery with the
    same keywords runs it with those values and returns its rows as tuples.

    Each sample must be a value that nothing else in the query can equal (a negative id, a date
    a century ago) and reach the SQL as itself, so that its parameter can be found.
    """

    def __init__(self, build: Callable[..., QuerySet], **samples):
        self.build = build
        self.samples = samples
        self._compiled: tuple[str, list[str | None], list] | None = None

    @staticmethod
    def _adapt(value):
        if isinstance(value, dt.datetime):
            return connection.ops.adapt_datetimefield_value(value)
        return value

    def _compile(self) -> tuple[str, list[str | None], list]:
        sql, params = self.build(**self.samples).query.sql_with_params()
        names = []
        for param in params:
            matches = [n for n, sample in self.samples.items() if self._adapt(sample) == param]
            names.append(matches[0] if matches else None)
        missing = set(self.samples) - set(names)
        if missing:
            raise ValueError(f"The query does not use the samples {sorted(missing)}.")
        return sql, names, list(params)

    def __call__(self, **values) -> list[tuple]:
        if self._compiled is None:
            self._compiled = self._compile()
        sql, names, params = self._compiled
        values = {name: self._adapt(value) for name, value in values.items()}
        params = [
            param if name is None else values[name]
            for name, param in zip(names, params, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

"""The select-project query language over stores: parse, plan, execute (local threads or Dask).

    from * select data[:][t-100:t+100] where seizure_detect(data[:][t-120:t]) and t >= -5000 and t <= 0

``query(text, stores)`` returns a ``QueryResult``; ``explain`` prints the plan. Grammar:
``grammar.lark``; semantics: ``planner``; functions: ``functions``.
"""

from cortexlink.query.api import explain, query
from cortexlink.query.parser import QuerySyntaxError, parse, unparse
from cortexlink.query.result import QueryResult

run_query = query  # the names ``cortexlink`` exports (``cortexlink.query`` is this package)
explain_query = explain

__all__ = [
    "QueryResult",
    "QuerySyntaxError",
    "explain",
    "explain_query",
    "parse",
    "query",
    "run_query",
    "unparse",
]

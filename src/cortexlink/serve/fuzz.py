"""Fuzz the API from its own OpenAPI schema with schemathesis: every operation, with a token and
without, counting server errors (5xx) and responses that break the schema.

``fuzz_app(app, token, max_examples=20)`` runs in-process (no socket) and returns ``FuzzCounts``
with the first few failures described. Checks: no server error, status code, content type,
headers and body conform to the schema, schema-invalid requests are refused, and a request
without a token is refused. Not checked: that every schema-valid request succeeds (an upload of
random bytes is schema-valid but no model, and is refused by design).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cortexlink.core.optional import require

__all__ = ["FuzzCounts", "fuzz_app"]

SKIPPED_CHECKS = ("positive_data_acceptance",)


@dataclass
class FuzzCounts:
    """What a fuzz run did and found."""

    operations: int = 0
    requests: int = 0
    server_errors: int = 0
    violations: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add_failure(self, text: str) -> None:
        if len(self.failures) < 20:
            self.failures.append(text)


def fuzz_app(app: Any, token: str, max_examples: int = 20, seed: int = 0) -> FuzzCounts:
    """Fuzz every operation of ``app``'s OpenAPI schema, each generated request sent twice: with
    ``Authorization: Bearer token`` and with none."""
    schemathesis = require("schemathesis", "test", "fuzzing the API")
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as fixed_seed
    from schemathesis import checks as st_checks

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    skipped = [getattr(st_checks, name) for name in SKIPPED_CHECKS if hasattr(st_checks, name)]
    counts = FuzzCounts()
    for result in schema.get_all_operations():
        operation = result.ok()
        counts.operations += 1

        @fixed_seed(seed)
        @settings(
            max_examples=max_examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(operation.as_strategy())
        def one(case: Any) -> None:
            for headers in ({"Authorization": f"Bearer {token}"}, {}):
                response = case.call(headers=headers)
                counts.requests += 1
                counts.statuses[response.status_code] = counts.statuses.get(response.status_code, 0) + 1
                label = f"{case.method} {case.formatted_path} ({'token' if headers else 'no token'})"
                if response.status_code >= 500:
                    counts.server_errors += 1
                    counts.add_failure(f"{label}: {response.status_code} {response.text[:200]}")
                try:
                    case.validate_response(response, headers=headers, excluded_checks=skipped)
                except BaseExceptionGroup as group:  # schemathesis's FailureGroup
                    counts.violations += 1
                    counts.add_failure(f"{label}: {response.status_code}: {_first_line(group)}")
                except AssertionError as exc:
                    counts.violations += 1
                    counts.add_failure(f"{label}: {response.status_code}: {_first_line(exc)}")

        one()
    return counts


def _first_line(exc: BaseException) -> str:
    inner = getattr(exc, "exceptions", None)
    target = inner[0] if inner else exc
    text = " ".join(str(getattr(target, "title", "") or target).split())
    return text[:240]

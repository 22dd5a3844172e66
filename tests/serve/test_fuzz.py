"""A bounded schemathesis run over the whole OpenAPI schema, with a token and without: no server
error and no response outside the schema."""

from __future__ import annotations

import pytest

pytest.importorskip("schemathesis")


@pytest.mark.timeout(300)
def test_fuzzing_the_schema_finds_no_server_error_or_violation(config, tokens):
    from cortexlink.serve import create_app
    from cortexlink.serve.fuzz import fuzz_app

    counts = fuzz_app(create_app(config), tokens["admin"], max_examples=3)
    assert counts.operations >= 14 and counts.requests >= 2 * counts.operations
    assert counts.statuses.get(401, 0) >= counts.operations  # every call without a token is refused
    assert counts.server_errors == 0 and counts.violations == 0, "\n".join(counts.failures)

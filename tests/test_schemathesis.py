"""Schemathesis over the OpenAPI document, in-process: generated requests to every
operation, as a buyer, a store owner and anonymously, never get a server error, and every
answer conforms to the schema the document gives for its status.

A fixed seed (``derandomize``) and a few examples per operation keep it deterministic and
fast enough for CI; ``MALLKIT_FUZZ_EXAMPLES`` raises the count for a longer local run."""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from mallkit.core.testing import make_product

EXAMPLES = int(os.environ.get("MALLKIT_FUZZ_EXAMPLES", "4"))


def test_no_operation_answers_a_server_error(app, merchant, owner, buyer):
    make_product(merchant, "模糊测试商品", prices=(1990, 2990), stocks=(50, 50))
    actors = {"buyer": buyer.headers, "owner": owner.headers, "anonymous": {}}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures = []
    operations = 0
    calls = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def run(case):
            for who, headers in actors.items():
                response = case.call(headers=headers)
                calls.append(response.status_code)
                try:
                    case.validate_response(
                        response, checks=[not_a_server_error, response_schema_conformance]
                    )
                except Exception as exc:  # collected: one report for every operation
                    failures.append(f"{who} {case.method} {case.formatted_path}: {exc}"[:300])
                    return

        run()
    assert operations > 100 and len(calls) >= 3 * operations
    assert 500 not in calls and {200, 401, 404, 422} <= set(calls)
    assert not failures, "\n".join(failures[:30])

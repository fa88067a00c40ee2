"""The published schema, checked by a property-based tester that reads it (schemathesis):
requests it generates from /api/v1/openapi.json, valid and invalid, against the live server,
with a token of every scope. No answer is a server error; every answer's status, content type
and body are those the schema documents."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.factories import token
from tests.factories import JourneyFactory, MemberFactory

CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 20}


def test_generated_requests_get_documented_answers_and_no_server_error(live_server, api_library):
    MemberFactory(library=api_library, external_id="100234")
    JourneyFactory(library=api_library, key="welcome")
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {token(api_library)}"}

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:
        for mode, examples in EXAMPLES.items():

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                case.call_and_validate(
                    base_url=live_server.url, headers=headers, checks=CONFORMANCE, timeout=30
                )

            check()

"""Hypothesis: arbitrary bytes and JSON never crash the decoder or make a route answer 5xx."""

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digits_core.decoding import decode_image
from digits_core.errors import DigitsError
from tests.reliability import payloads
from tests.reliability.cases import BATCH, PREDICT, READ, V2_INFER

FIXTURE_OK = [HealthCheck.function_scoped_fixture]
# Real image headers, so mutations reach the decoders and not only the format sniffing.
SEEDS = [payloads.png(), payloads.jpeg(), payloads.animated_gif(), payloads.multipage_tiff()]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)
documents = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={"image": json_values, "pixels": json_values}),
    st.fixed_dictionaries({}, optional={"images": json_values, "pixels": json_values}),
    st.fixed_dictionaries(
        {
            "inputs": st.lists(
                st.dictionaries(
                    st.sampled_from(["name", "shape", "datatype", "data"]), json_values
                ),
                max_size=2,
            )
        }
    ),
)


@st.composite
def mutated_images(draw: st.DrawFn) -> bytes:
    """A real image with a few bytes overwritten and maybe cut short."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(1, len(data)))])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048) | mutated_images())
def test_decoder_raises_only_digits_errors(data: bytes) -> None:
    try:
        gray = decode_image(data, max_pixels=4_000_000)
    except DigitsError:
        return
    assert gray.ndim == 2 and gray.size > 0


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    route=st.sampled_from([PREDICT, BATCH, READ, V2_INFER]),
    data=st.binary(max_size=1024) | mutated_images(),
    content_type=st.sampled_from(
        [
            "image/png",
            "application/octet-stream",
            "multipart/form-data; boundary=b",
            "application/json",
            "",
        ]
    ),
)
def test_routes_never_answer_5xx_to_arbitrary_bytes(
    app_client: TestClient, route: str, data: bytes, content_type: str
) -> None:
    response = app_client.post(route, content=data, headers={"content-type": content_type})
    assert response.status_code < 500, response.text[:300]


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(route=st.sampled_from([PREDICT, BATCH, READ, V2_INFER]), document=documents)
def test_routes_never_answer_5xx_to_arbitrary_json(
    app_client: TestClient, route: str, document: object
) -> None:
    body = json.dumps(document).encode()
    response = app_client.post(route, content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, (body[:300], response.text[:300])


@pytest.mark.parametrize("route", [PREDICT, BATCH, READ])
def test_routes_never_answer_5xx_to_a_multipart_of_mutated_images(
    app_client: TestClient, route: str
) -> None:
    field = "files" if route == BATCH else "file"

    @settings(max_examples=40, deadline=None)
    @given(mutated_images())
    def check(data: bytes) -> None:
        response = app_client.post(route, files={field: ("x", data, "image/png")})
        assert response.status_code < 500, response.text[:300]

    check()

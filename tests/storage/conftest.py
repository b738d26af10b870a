"""The same storage tests run against both backends: the local directory, and S3 through a
moto server on 127.0.0.1 started once for the session (no network, no AWS account)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest

S3_SETTINGS = {"STORAGE_S3_ACCESS_KEY": "testing", "STORAGE_S3_SECRET_KEY": "testing",
               "STORAGE_S3_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    pytest.importorskip("moto.server")
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["local", "s3"])
def backend(request, app) -> str:
    """Point the test app at one backend; returns its name."""
    if request.param == "s3":
        import boto3

        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = f"sulh-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="testing", aws_secret_access_key="testing"
                     ).create_bucket(Bucket=bucket)
        app.config.update(S3_SETTINGS, STORAGE_URL=f"s3://{bucket}/sulh",
                          STORAGE_S3_ENDPOINT=endpoint)
    return request.param

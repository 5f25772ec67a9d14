"""A real S3 API server for the tests: moto's server mode on a local port.

``S3Server.start()`` runs ``python -m moto.server`` as its own process on 127.0.0.1 and a
free port (one server per pytest-xdist worker, so they never collide) and waits until it
answers. ``env()`` is what a boto3 client (or a subprocess) needs to reach it: the endpoint
(``AWS_ENDPOINT_URL``) and dummy credentials. Nothing is mocked inside the tested process:
the store talks HTTP to the server, as it would to MinIO or AWS.

moto 5.2's server honours ``If-None-Match: *`` and ``If-Match`` on ``PutObject`` and
``If-Match`` on ``DeleteObject`` (checked by ``tests/unit/test_s3_store.py``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class S3Server:
    """One moto server process."""

    port: int
    process: subprocess.Popen[bytes] | None = None
    buckets: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment for boto3 clients (this process or a child) of this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            # No instance-metadata lookups or config files from the machine.
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

    @classmethod
    def start(cls, timeout: float = 30.0) -> S3Server:
        """Start a server and wait until it answers."""
        server = cls(_free_port())
        server.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(server.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"moto server exited with {server.process.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", server.port), timeout=1),
            ):
                return server
            time.sleep(0.1)
        server.stop()
        raise RuntimeError(f"moto server did not answer on port {server.port}")

    def client(self) -> Any:
        """A boto3 S3 client of this server."""
        import boto3

        env = self.env()
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )

    def new_bucket(self) -> str:
        """A fresh, empty bucket."""
        name = f"kanta-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        self.buckets.append(name)
        return name

    def stop(self) -> None:
        """Stop the server process."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

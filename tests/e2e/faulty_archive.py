"""Run ``kanta-archive archive …`` in this process and SIGKILL it at one point of an S3
commit (not a test module; tests/e2e/test_multi_writer.py runs it).

Usage: faulty_archive.py POINT NTH ARCHIVE-ARGUMENTS…

POINT ``content``: just before the NTH version inventory (the commit point) is written,
so that version's content is uploaded and nothing names it. POINT ``version``: just
before the NTH root inventory is replaced, so that a version is committed (its inventory
is there) and the root does not name it yet. The process talks to the real S3 server
throughout; only the moment of its death is chosen here.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from typing import Any

from kanta_archive.store.s3_bucket import S3Bucket

VERSION_INVENTORY = re.compile(r"/v[0-9]+/inventory\.json$")
ROOT_INVENTORY = re.compile(r"^controllers/.+/inventory\.json$")


def dies_at(point: str, key: str) -> bool:
    if point == "content":
        return VERSION_INVENTORY.search(key) is not None
    if point == "version":
        return ROOT_INVENTORY.match(key) is not None and VERSION_INVENTORY.search(key) is None
    raise SystemExit(f"unknown point {point!r}")


def main() -> None:
    point, nth, arguments = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    put = S3Bucket.put
    seen = 0
    lock = threading.Lock()  # a batch places its objects from several threads

    def faulty_put(self: S3Bucket, key: str, data: bytes, **conditions: str) -> Any:
        nonlocal seen
        if dies_at(point, key):
            with lock:
                seen += 1
                if seen >= nth:
                    os.kill(os.getpid(), signal.SIGKILL)
        return put(self, key, data, **conditions)

    S3Bucket.put = faulty_put  # type: ignore[method-assign]
    from kanta_archive.cli.main import main as cli_main

    sys.argv = ["kanta-archive", *arguments]
    cli_main()


if __name__ == "__main__":
    main()

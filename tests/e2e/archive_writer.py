"""Archive documents one by one, printing ``ack <set OID>`` after each ingest returns.

Run by tests/e2e/test_archive_crash.py, which SIGKILLs this process at random points.
Usage: archive_writer.py STORE FIRST COUNT
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

from kanta_archive.archive.service import Archive
from kanta_archive.formats import read_bytes

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "valid" / "client-record-entry.json"
ORG = "1.2.246.10.91000013"


def document_bytes(n: int) -> bytes:
    """A valid client record entry (version 1) of its own document set number ``n``."""
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    set_oid = f"{ORG}.11.77{n:06d}"
    doc["metadata"]["set_oid"] = set_oid
    doc["metadata"]["document_oid"] = f"{set_oid}.1"
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def main() -> None:
    store, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with Archive.open(store, create=True) as archive:
        print("ready", flush=True)
        for n in range(first, first + count):
            outcome = read_bytes(document_bytes(n), f"doc-{n}.json")
            assert outcome.document is not None
            report = archive.ingest([outcome.document])
            if report.count("stored") == 1:
                print(f"ack {outcome.document.metadata.set_oid}", flush=True)


if __name__ == "__main__":
    main()

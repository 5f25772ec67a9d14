"""Writer process for the store crash and concurrency tests (not a test module).

Usage: python store_writer.py STORE WRITER MODE OBJECTS ITERATIONS

Prints ``ready`` once the store is open, then for every commit *after it returned*
``ack <controller> <object> <version> <writer>`` (and ``moved <object> <controller>``).
MODE ``crash``: one writer, single commits, a 3-object ``commit_many`` every 5th step and a
``move_object`` every 7th; runs until killed when ITERATIONS is 0. MODE ``concurrent``: single
commits and 2-object batches on shared objects, retrying on ConflictError.
"""

from __future__ import annotations

import os
import sys

from kanta_archive.errors import ConflictError
from kanta_archive.store import CommitRequest, PartialCommitError, Store

CONTROLLERS = ("1.2.246.10.1.10", "1.2.246.10.2.10")
USER = "writer"


def content(obj: str, version: int, writer: str) -> dict[str, bytes]:
    """The files of one version; ``static.json`` never changes (exercises deduplication)."""
    return {
        "document.json": f'{{"object": "{obj}", "version": {version}}}'.encode(),
        "metadata.json": f'{{"writer": "{writer}", "version": {version}}}'.encode(),
        "static.json": b'{"unchanged": true}',
    }


def ack(controller: str, obj: str, version: int, writer: str) -> None:
    print(f"ack {controller} {obj} {version} {writer}", flush=True)


def main() -> None:
    path, writer, mode, n_objects, iterations = sys.argv[1:6]
    store = Store.open(path, create=True)
    objects = [f"1.2.246.99.{k}" for k in range(int(n_objects))]
    print("ready", flush=True)
    step = 0
    done = 0
    while int(iterations) == 0 or done < int(iterations):
        step += 1
        if mode == "crash":
            if step % 5 == 0:
                base = f"1.2.246.98.{os.getpid()}.{step}"
                requests = [
                    CommitRequest(
                        CONTROLLERS[0],
                        f"{base}.{k}",
                        content(f"{base}.{k}", 1, writer),
                        0,
                        "batch",
                        USER,
                    )
                    for k in range(3)
                ]
                for request, version in zip(requests, store.commit_many(requests), strict=True):
                    ack(request.controller_oid, request.object_id, version, writer)
                done += 1
                continue
            obj = objects[step % len(objects)]
            controller = store.find_object(obj) or CONTROLLERS[0]
            head = store.head(controller, obj)
            version = store.commit(
                controller,
                obj,
                content(obj, head + 1, writer),
                expected_head=head,
                message=f"step {step}",
                user_name=USER,
            )
            ack(controller, obj, version, writer)
            if step % 7 == 0:
                target = CONTROLLERS[1] if controller == CONTROLLERS[0] else CONTROLLERS[0]
                store.move_object(obj, controller, target)
                print(f"moved {obj} {target}", flush=True)
            done += 1
        else:
            controller = CONTROLLERS[0]
            if step % 4 == 0:
                picked = [objects[step % len(objects)], objects[(step + 1) % len(objects)]]
            else:
                picked = [objects[(step * 7 + int(writer)) % len(objects)]]
            try:
                requests = []
                for obj in picked:
                    head = store.head(controller, obj)
                    requests.append(
                        CommitRequest(
                            controller,
                            obj,
                            content(obj, head + 1, writer),
                            head,
                            f"step {step}",
                            USER,
                        )
                    )
                if len(requests) == 1:
                    r = requests[0]
                    versions = [
                        store.commit(
                            controller,
                            r.object_id,
                            r.files,
                            expected_head=r.expected_head,
                            message=r.message,
                            user_name=USER,
                        )
                    ]
                else:
                    versions = store.commit_many(requests)
            except PartialCommitError as exc:  # S3: some of the batch got in regardless
                for position, version in exc.committed.items():
                    ack(controller, requests[position].object_id, version, writer)
                print("conflict", flush=True)
                continue
            except ConflictError:
                print("conflict", flush=True)
                continue
            for request, version in zip(requests, versions, strict=True):
                ack(controller, request.object_id, version, writer)
            done += 1


if __name__ == "__main__":
    main()

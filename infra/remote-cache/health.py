"""Health check of the local remote cache, run by `start` with BuildGrid's own interpreter.

Usage: health.py HOST:PORT INSTANCE

Asks the instance for its capabilities (the action cache must accept updates), then writes one
small blob to the CAS and reads it back. Exit 0 when all of it works, 1 with one line on stderr
otherwise. One process and one channel: about a third of a second.
"""

from __future__ import annotations

import hashlib
import sys

import grpc
from buildgrid._protos.build.bazel.remote.execution.v2 import (
    remote_execution_pb2 as re_pb2,
)
from buildgrid._protos.build.bazel.remote.execution.v2 import (
    remote_execution_pb2_grpc as re_grpc,
)

TIMEOUT_SECONDS = 5.0
PROBE = b"specforge remote-cache probe\n"


def check(target: str, instance: str) -> str | None:
    """The reason the cache is not usable, or None."""
    with grpc.insecure_channel(target) as channel:
        capabilities = re_grpc.CapabilitiesStub(channel).GetCapabilities(
            re_pb2.GetCapabilitiesRequest(instance_name=instance), timeout=TIMEOUT_SECONDS
        )
        if not capabilities.cache_capabilities.action_cache_update_capabilities.update_enabled:
            return f"instance {instance!r} does not accept action cache updates"
        digest = re_pb2.Digest(hash=hashlib.sha256(PROBE).hexdigest(), size_bytes=len(PROBE))
        cas = re_grpc.ContentAddressableStorageStub(channel)
        written = cas.BatchUpdateBlobs(
            re_pb2.BatchUpdateBlobsRequest(
                instance_name=instance,
                requests=[re_pb2.BatchUpdateBlobsRequest.Request(digest=digest, data=PROBE)],
            ),
            timeout=TIMEOUT_SECONDS,
        )
        if any(response.status.code != 0 for response in written.responses):
            return f"the CAS refused a write: {written.responses[0].status.message}"
        read = cas.BatchReadBlobs(
            re_pb2.BatchReadBlobsRequest(instance_name=instance, digests=[digest]),
            timeout=TIMEOUT_SECONDS,
        )
        if [response.data for response in read.responses] != [PROBE]:
            return "the CAS did not return the blob just written"
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: health.py HOST:PORT INSTANCE", file=sys.stderr)
        return 2
    try:
        problem = check(argv[1], argv[2])
    except grpc.RpcError as error:
        problem = f"{error.code().name}: {error.details()}"
    if problem is not None:
        print(f"{argv[1]}: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

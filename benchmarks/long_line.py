"""One long SSE line: portkey-runs' decoder against openai-python's line splitter (issue 16).

    python -m benchmarks.long_line [MEGABYTES]   (default 32)

A ``data:`` line of MEGABYTES in 64 KiB chunks, then the blank line that ends its event; the
time each decoder takes to hand over that one event, best of three, and their ratio. A decoder
that rescanned what it had seen would grow with the square of the line.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

CHUNK = 64 * 1024


def chunks(megabytes: int) -> list[bytes]:
    body = b"data: " + b"x" * (megabytes * 1024 * 1024) + b"\n\n"
    return [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]


def ours(pieces: list[bytes]) -> int:
    from portkey_runs._sse import SSEDecoder

    decoder = SSEDecoder()
    return sum(len(event.data) for piece in pieces for event in decoder.feed(piece))


def openai(pieces: list[bytes]) -> int:
    from openai._streaming import SSEDecoder

    return sum(len(event.data) for event in SSEDecoder().iter_bytes(iter(pieces)))


def best(decode: Callable[[list[bytes]], int], pieces: list[bytes], size: int) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        if decode(pieces) != size:
            raise SystemExit(f"{decode.__name__} lost data")
        times.append(time.perf_counter() - started)
    return min(times)


def main(megabytes: int) -> None:
    pieces = chunks(megabytes)
    size = megabytes * 1024 * 1024
    mine, theirs = best(ours, pieces, size), best(openai, pieces, size)
    print(f"one {megabytes} MB line in {len(pieces)} chunks of 64 KiB, best of 3:")
    print(f"  portkey-runs SSEDecoder   {mine:.3f} s")
    print(f"  openai SSEDecoder         {theirs:.3f} s")
    print(f"  ratio portkey-runs/openai {mine / theirs:.2f}x (target <= 5)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 32)

"""Child process of the memory scenario: iterate N runs, print the peak RSS in KiB.

    python -m benchmarks._memory {portkey-runs|floor} N

Pages of 100 are made on request from one template page (only the ids change), so the
payload itself takes the same memory whatever N; each run is dropped once seen.
"""

from __future__ import annotations

import json
import resource
import sys

import httpx

from benchmarks import contenders, payloads
from benchmarks.inmemory import BASE_URL

PER_PAGE = 100
_MARK = b"PAGE" * 5  # 20 characters: the page number, in letters, in every id
_LETTERS = b"abcdefghijklmnopqrstuvwxyz"


def _letters(number: int) -> bytes:
    """``number`` in 20 letters (ids have no long runs of digits, as the API's have none)."""
    out = bytearray()
    for _ in range(20):
        number, digit = divmod(number, 26)
        out.append(_LETTERS[digit])
    return bytes(out)


def _number(letters: str) -> int:
    return sum(_LETTERS.index(c.encode()) * 26**n for n, c in enumerate(letters))


def _template() -> bytes:
    runs = [payloads.make_run(i) for i in range(PER_PAGE)]
    for n, run in enumerate(runs):
        run["id"] = f"run_{_MARK.decode()}{_letters(n)[:4].decode()}"
    page = {
        "object": "list",
        "data": runs,
        "first_id": "FIRST",
        "last_id": "LAST",
        "has_more": True,
    }
    return json.dumps(page, separators=(",", ":")).encode()


def transport(total: int) -> httpx.MockTransport:
    template = _template()
    pages = -(-total // PER_PAGE)

    def handle(request: httpx.Request) -> httpx.Response:
        after = request.url.params.get("after")
        number = 0 if after is None else _number(after[4:24]) + 1
        page = _letters(number)
        body = template.replace(_MARK, page)
        body = body.replace(b'"FIRST"', b'"run_%s%s"' % (page, _letters(0)[:4]))
        body = body.replace(b'"LAST"', b'"run_%s%s"' % (page, _letters(PER_PAGE - 1)[:4]))
        if number == pages - 1:
            body = body.replace(b'"has_more":true', b'"has_more":false')
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return httpx.MockTransport(handle)


def main(contender: str, total: int) -> int:
    thread = payloads.THREAD_ID
    if contender == "portkey-runs":
        client = contenders.portkey_runs_client(BASE_URL, transport=transport(total))
        count = contenders.portkey_runs_list(client, thread)[0]
    elif contender == "floor":
        http = httpx.Client(base_url=BASE_URL + "/", transport=transport(total))
        count = contenders.floor_list(http, thread)[0]
    else:
        raise SystemExit(f"unknown contender {contender!r}")
    if count != total:
        raise SystemExit(f"{contender} listed {count} runs, not {total}")
    return peak_kib()


def peak_kib() -> int:
    """This process's peak resident set size, in KiB.

    Linux's ``VmHWM``: the high-water mark of this program's memory. Not ``ru_maxrss``, which
    Linux carries over from the parent through fork and exec (a child of a large benchmark
    process would report the parent's size).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    print(main(sys.argv[1], int(sys.argv[2])))

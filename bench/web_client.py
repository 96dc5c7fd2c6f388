"""The load for bench/web.py, run in a process of its own: CLIENTS concurrent connections ask
for one address over and over for SECONDS, after a short warm-up in which the connections
are opened, each request waiting for the whole body; at most LIMIT requests in all. What
counts is the requests that ended inside those SECONDS. Prints one JSON line: requests,
seconds, bytes, the latencies' p50/p99 in ms and how many answers were not 200.

    python bench/web_client.py URL CLIENTS SECONDS LIMIT
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp

WARM_UP = 0.5


async def load(url: str, clients: int, seconds: float, limit: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    size = 0
    issued = 0
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        counting_from = started + WARM_UP
        deadline = counting_from + seconds

        async def client() -> None:
            nonlocal errors, size, issued
            while issued < limit:
                t0 = time.perf_counter()
                if t0 >= deadline:
                    return
                issued += 1
                async with http.get(url) as response:
                    body = await response.read()
                    status = response.status
                t1 = time.perf_counter()
                if counting_from <= t1 <= deadline:
                    latencies.append(t1 - t0)
                    size += len(body)
                    if status != 200:
                        errors += 1

        await asyncio.gather(*(client() for _ in range(clients)))
        # Requests that ended inside the counted window, over the window (or over the time
        # until the last of LIMIT requests ended, if that came first).
        elapsed = min(time.perf_counter(), deadline) - counting_from
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "seconds": elapsed,
        "bytes": size,
        "p50": latencies[n // 2] * 1000 if n else 0.0,
        "p99": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else 0.0,
        "errors": errors,
    }


def main() -> None:
    url, clients, seconds, limit = sys.argv[1:5]
    result = asyncio.run(load(url, int(clients), float(seconds), int(limit)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""A minimal Bot Connector for benchmarks: answers every call at once and counts them.

Run: python bench/fake_connector.py PORT
"""

from __future__ import annotations

import itertools
import sys

from aiohttp import web


def main() -> None:
    ids = itertools.count(1)
    counts = {"calls": 0}

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        counts["calls"] += 1
        number = next(ids)
        if request.method == "POST" and request.path.rstrip("/") == "/v3/conversations":
            return web.json_response({"id": f"19:bench@thread.tacv2;messageid={number}", "activityId": str(number)})
        return web.json_response({"id": f"activity-{number}"})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(counts)

    app = web.Application()
    app.router.add_get("/stats", stats)
    app.router.add_route("*", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=lambda *_: None)


if __name__ == "__main__":
    main()

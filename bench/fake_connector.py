"""A minimal Bot Connector for benchmarks: answers every call at once and counts them.

It also keeps the last few messages sent to each conversation, so a benchmark can read what the bot asked:
GET /replies/{conversation id} returns them (texts, and whether a card came) and forgets them.

Run: python bench/fake_connector.py PORT
"""

from __future__ import annotations

import collections
import itertools
import json
import sys

from aiohttp import web


def main() -> None:
    ids = itertools.count(1)
    counts = {"calls": 0}
    replies: dict[str, collections.deque[dict[str, object]]] = {}

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        counts["calls"] += 1
        if request.method == "POST" and "/activities" in request.path:
            try:
                sent = json.loads(body)
            except ValueError:
                sent = None
            conversation = (sent or {}).get("conversation") or {}
            if isinstance(sent, dict) and conversation.get("id"):
                kept = replies.setdefault(conversation["id"], collections.deque(maxlen=8))
                kept.append({"text": sent.get("text") or "", "card": bool(sent.get("attachments"))})
        number = next(ids)
        if request.method == "POST" and request.path.rstrip("/") == "/v3/conversations":
            return web.json_response({"id": f"19:bench@thread.tacv2;messageid={number}", "activityId": str(number)})
        return web.json_response({"id": f"activity-{number}"})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(counts)

    async def read_replies(request: web.Request) -> web.Response:
        return web.json_response(list(replies.pop(request.match_info["conversation"], ())))

    app = web.Application()
    app.router.add_get("/stats", stats)
    app.router.add_get("/replies/{conversation}", read_replies)
    app.router.add_route("*", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=lambda *_: None)


if __name__ == "__main__":
    main()

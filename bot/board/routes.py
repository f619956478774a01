"""The SLA board's HTTP routes on the bot's own aiohttp app: pages, their JSON API and the CSV downloads.

Every API call names its viewer with a token (`bot.board.auth`); every ticket it returns came through the
visibility gate, so the board shows a person exactly what the bot would tell them in chat.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.board.auth import DevTokens, TabAuthenticator, audience, persona, personas
from bot.board.views import board_rows, etag, ticket_page
from bot.edge.auth import AuthError
from bot.edge.report_links import ReportLinks, process_key
from bot.rules.report_request import Month, MonthError, default_month, month_from_key
from bot.services.context import Services
from bot.services.gate import ActorContext, TicketGate, ticket_id
from bot.services.reporting import customer_report, visible_customers
from reports.export import report_csv, report_summary

log = logging.getLogger("faultline.board")
STATIC = Path(__file__).parent / "static"
TAB_AUTH = web.AppKey("tab_authenticator", TabAuthenticator)
FRAME_ANCESTORS = ("'self' https://teams.microsoft.com https://*.teams.microsoft.com https://*.teams.cloud.microsoft "
                   "https://*.office.com https://*.microsoft365.com")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       f"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {FRAME_ANCESTORS}")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def services_of(request: web.Request) -> Services:
    from bot.app import SERVICES  # the app module registers these routes, so it is loaded already

    return request.app[SERVICES]


async def start_board(app: web.Application) -> None:
    """Build the tab's authenticator once the services exist (a start-up hook after the app's own)."""
    from bot.app import SERVICES, SESSION

    services = app[SERVICES]
    settings = services.settings
    host = urlsplit(settings.base_url()).netloc
    app[TAB_AUTH] = TabAuthenticator(audience=audience(host, settings.app_id),
                                     metadata_url=settings.tab_openid_metadata_url, session=app[SESSION],
                                     config=services.config, dev=DevTokens(process_key()) if settings.local else None)


@web.middleware
async def page_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The board's pages load nothing from elsewhere and may be framed by Teams only."""
    response = await handler(request)
    if request.path.startswith("/board"):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def viewer(request: web.Request) -> ActorContext:
    """The person the request's token names; 401 (with nothing else said) otherwise."""
    try:
        return await request.app[TAB_AUTH].viewer(request.headers.get("Authorization"))
    except AuthError as exc:
        log.warning("refused board request: %s", exc)
        raise web.HTTPUnauthorized(text='{"error": "unauthorized"}', content_type="application/json") from None


def gate_of(request: web.Request) -> TicketGate:
    return TicketGate(services_of(request))


async def to_index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/board/")


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def config_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "config.html", headers={"Cache-Control": "no-cache"})


async def me(request: web.Request) -> web.Response:
    who = await viewer(request)
    services = services_of(request)
    customers = await visible_customers(gate_of(request), who)
    today = services.clock.now().date()
    return web.json_response({"name": who.name, "tenant": who.tenant, "local": services.settings.local,
                              "customers": [{"id": c.id, "name": c.name} for c in customers],
                              "default_month": default_month(today).key})


async def tickets(request: web.Request) -> web.StreamResponse:
    """Every open ticket the viewer may see, soonest deadline first; 304 when unchanged since their ETag."""
    who = await viewer(request)
    services, gate = services_of(request), gate_of(request)
    seen = []
    for customer in services.config.customers:
        seen += await gate.visible_of_customer(who, customer.id, open_only=True) or []
    now = services.clock.now()
    rows = board_rows(seen, await services.tickets.events_of([s.ticket.id for s in seen]), now)
    tag = etag(rows)
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    if request.headers.get("If-None-Match") == tag:
        return web.Response(status=304, headers=headers)
    return web.json_response({"now": now.isoformat(), "tickets": rows}, headers=headers)


async def ticket(request: web.Request) -> web.Response:
    who = await viewer(request)
    services = services_of(request)
    seen = await gate_of(request).visible_ticket(who, ticket_id(request.match_info["id"]))
    if seen is None:  # unknown and not theirs read alike
        raise web.HTTPNotFound(text='{"error": "no such ticket"}', content_type="application/json")
    events = await services.tickets.events(seen.ticket.id)
    return web.json_response(ticket_page(seen, events, services.clock.now()))


def _month(request: web.Request, today: Any) -> Month:
    raw = request.query.get("month", "")
    try:
        return month_from_key(raw) if raw else default_month(today)
    except MonthError as exc:
        raise web.HTTPBadRequest(text=json.dumps({"error": str(exc)}), content_type="application/json") from None


async def report(request: web.Request) -> web.Response:
    """The month's report for a customer the viewer sees, as the reports page draws it, with its CSV link."""
    who = await viewer(request)
    services = services_of(request)
    month = _month(request, services.clock.now().date())
    found = await customer_report(services, gate_of(request), who, request.query.get("customer", ""), month)
    if found is None:
        raise web.HTTPNotFound(text='{"error": "no such customer"}', content_type="application/json")
    link = ReportLinks.from_settings(services.settings).url(request.query["customer"], month.key,
                                                            services.clock.now(), who.aad_id, who.tenant or "")
    return web.json_response({**report_summary(found), "month": month.key, "csv_url": link})


async def report_download(request: web.Request) -> web.Response:
    """GET /reports/csv: the report a signed link names, while it is valid and its person still sees the
    customer; 403 otherwise."""
    services = services_of(request)
    link = ReportLinks.from_settings(services.settings).read(request.query, services.clock.now())
    found = None
    if link is not None:
        who = ActorContext(aad_id=link.user, mri=None, name="", tenant=link.tenant or None, service_url=None)
        try:
            month = month_from_key(link.month)
        except MonthError:
            month = None
        found = month and await customer_report(services, gate_of(request), who, link.customer, month)
    if link is None or not found:
        return web.Response(status=403, text="This download link is not valid or has expired. Ask the bot for the "
                                             "report again (“report <customer> <month>”) to get a new link.\n")
    name = f"sla-report-{link.customer}-{link.month}.csv"
    return web.Response(text=report_csv(found), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


async def dev_personas(request: web.Request) -> web.Response:
    """Local mode only: who the development sign-in can be."""
    services = services_of(request)
    if not services.settings.local:
        raise web.HTTPNotFound()
    return web.json_response([{"key": p.key, "label": p.label} for p in personas(services.config)])


async def dev_login(request: web.Request) -> web.Response:
    services = services_of(request)
    dev = request.app[TAB_AUTH].dev
    if not services.settings.local or dev is None:
        raise web.HTTPNotFound()
    body = await request.json() if request.can_read_body else {}
    chosen = persona(personas(services.config), str(body.get("persona", "")) if isinstance(body, dict) else "")
    if chosen is None:
        raise web.HTTPBadRequest(text='{"error": "choose one of the listed people"}', content_type="application/json")
    return web.json_response({"token": dev.issue(chosen), "scheme": "Dev"})


def register(app: web.Application) -> None:
    """Add the board's pages, API and CSV downloads to the bot's app."""
    app.middlewares.append(page_headers)
    app.router.add_get("/board", to_index)
    app.router.add_get("/board/", index)
    app.router.add_get("/board/config", config_page)
    app.router.add_static("/board/static/", STATIC, append_version=False)
    app.router.add_get("/board/api/me", me)
    app.router.add_get("/board/api/tickets", tickets)
    app.router.add_get("/board/api/tickets/{id}", ticket)
    app.router.add_get("/board/api/report", report)
    app.router.add_get("/board/api/dev/personas", dev_personas)
    app.router.add_post("/board/api/dev/login", dev_login)
    app.router.add_get("/reports/csv", report_download)
    app.on_startup.append(start_board)

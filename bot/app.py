"""The one wiring point: create_app(settings, …) builds the aiohttp application and everything it uses."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import board
from bot.clock import Clock, SystemClock
from bot.config import Config, Customer, load_config
from bot.edge.adapter import FaultlineAdapter, outbox_defer
from bot.edge.auth import Authenticator, AuthError, KeySource
from bot.edge.connector import Connector, ConnectorError, graph_token_provider, token_provider
from bot.edge.inbound import Malformed, parse_activity, refusal_invoke
from bot.edge.outgoing import to_json
from bot.edge.turn_activity import turn_activity
from bot.edge.wire import Activity as WireActivity
from bot.logs import correlated, stamp_correlation_ids
from bot.reminders.people import GraphManagers, NoGraph
from bot.reminders.scheduler import Scheduler
from bot.reminders.store import Outbox
from bot.rules.timers import ReminderSettings
from bot.services import outbound
from bot.services.context import CUSTOMER_KEY, TENANT_KEY, Services
from bot.services.handler import FaultlineBot, activity_summary
from bot.services.redelivery import claim_activity, finish_activity, needs_claim
from bot.settings import Settings
from bot.store.conversations import (
    BUSY,
    DONE,
    TURN_ACTIVITY,
    AtClaim,
    ConcurrentWriteError,
    ConversationStore,
    DatabaseStorage,
    DialogState,
    Noted,
    TurnMark,
)
from bot.store.db import Database
from bot.store.tickets import TicketStore
from bot.telemetry import Telemetry

log = logging.getLogger("faultline.http")
MAX_BODY = 256 * 1024
SERVICES = web.AppKey("services", Services)
BOT = web.AppKey("bot", FaultlineBot)
AUTH = web.AppKey("authenticator", Authenticator)
BOT_ADAPTER_KEY = web.AppKey("adapter", FaultlineAdapter)
SESSION = web.AppKey("session", aiohttp.ClientSession)
SETTINGS = web.AppKey("settings", Settings)
INJECTED = web.AppKey("injected", dict)
SORRY = ("Sorry, something went wrong on our side and I couldn't finish that. Nothing you sent has been lost; "
         "please try again in a moment. If it keeps happening, quote reference {ref} to the support desk.")
REFUSAL = ("This organisation isn't set up with the fault desk yet, so I can't take reports here. Please contact "
           "your IT provider.")


def create_app(settings: Settings, *, db: Database | None = None, clock: Clock | None = None,
               connector: Connector | None = None, config: Config | None = None) -> web.Application:
    """Build the application; nothing is started until aiohttp runs its start-up hooks."""
    stamp_correlation_ids()
    app = web.Application(client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    app[INJECTED] = {"db": db, "clock": clock, "connector": connector,
                       "config": config or load_config(settings.config_path)}
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.on_startup.append(_start)
    app.on_cleanup.append(_stop)
    board.register(app)  # the SLA board tab and report downloads (its start-up hook runs after _start)
    return app


async def _start(app: web.Application) -> None:
    settings = app[SETTINGS]
    injected = app[INJECTED]
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    db = injected["db"] or Database(settings.database_url, pool=settings.database_pool)
    await db.migrate()
    clock = injected["clock"] or SystemClock()
    telemetry = Telemetry(azure_connection_string=settings.appinsights_connection_string.value)
    tokens = token_provider(settings, session)  # one credential, one cached token, for every outbound call
    services = Services(
        settings=settings, config=injected["config"], db=db, tickets=TicketStore(db),
        conversations=ConversationStore(db), state=DialogState(DatabaseStorage(db, clock)), clock=clock,
        connector=injected["connector"] or Connector(session, tokens, observe=telemetry.send_outcome),
        telemetry=telemetry,
    )
    managers = (GraphManagers(session, graph_token_provider(settings, session), settings.graph_url)
                if settings.graph_url and (settings.graph_token_endpoint or (settings.app_id and not settings.local))
                else NoGraph())
    # The scheduler's own connector retries once in the call (a short Retry-After, a blip); longer waits and
    # outages are the outbox's job, with back-off on the service's clock.
    outbound = injected["connector"] or Connector(session, tokens, attempts=2, max_wait=2.0,
                                                  timeout=settings.send_timeout, observe=telemetry.send_outcome)
    services.scheduler = Scheduler(services, managers=managers, connector=outbound,
                                   lease=timedelta(seconds=settings.scheduler_lease), settings=ReminderSettings(
                                       lead_short=timedelta(minutes=settings.reminder_lead_short),
                                       lead_long=timedelta(minutes=settings.reminder_lead_long)))
    await services.conversations.start()
    if settings.scheduler_interval > 0:
        services.scheduler.start(settings.scheduler_interval)
    app[SESSION] = session
    app[SERVICES] = services
    app[BOT] = FaultlineBot(services)
    app[BOT_ADAPTER_KEY] = FaultlineAdapter(services.connector, defer=outbox_defer(Outbox(db, "turns"), clock))
    if settings.auth_enabled:
        app[AUTH] = Authenticator(app_id=settings.app_id, tenant_id=settings.app_tenant_id,
                                  channel_keys=KeySource(settings.openid_metadata_url, session),
                                  emulator_keys=KeySource(settings.emulator_openid_metadata_url, session))


async def _stop(app: web.Application) -> None:
    await outbound.drain()  # messages handed over by the last turns (the outbox keeps any that fail)
    if SESSION in app:
        await app[SESSION].close()
    if SERVICES in app:
        await app[SERVICES].scheduler.stop()
        await app[SERVICES].conversations.stop()
        app[SERVICES].telemetry.shutdown()
        if app[INJECTED]["db"] is None:
            await app[SERVICES].db.close()


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    ready, reason = await request.app[SERVICES].db.is_ready()
    return web.json_response({"status": "ready" if ready else "not ready", "reason": reason},
                             status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format: turns, errors, sends, retries, timer lag, open tickets by priority."""
    services = request.app[SERVICES]
    body = services.telemetry.prometheus(await services.tickets.open_counts())
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


def tenant_of(body: dict[str, Any]) -> str | None:
    """Teams puts the tenant in channelData.tenant.id (botbuilder's tenantID mapping misses it)."""
    tenant = (body.get("channelData") or {}).get("tenant", {}).get("id")
    return tenant or (body.get("conversation") or {}).get("tenantId")


async def messages(request: web.Request) -> web.Response:
    """POST /api/messages: check the activity's shape, authenticate, check the tenant, run the turn."""
    if "application/json" not in request.headers.get("Content-Type", ""):
        return web.json_response({"error": "send application/json"}, status=415)
    try:
        activity = parse_activity(await request.read())
    except Malformed as exc:
        log.warning("rejected malformed activity: %s (%s)", exc.reason, exc.about)
        return web.json_response({"error": f"not a usable Bot Framework activity: {exc.reason}"}, status=400)
    body = activity.forward()
    with correlated(activity.id):
        refusal = (await _unauthenticated(request, body)
                   or await _refuse_unknown_tenant(request.app[SERVICES], activity, body))
    return refusal or await _turn(request.app, body)


async def _unauthenticated(request: web.Request, body: dict[str, Any]) -> web.Response | None:
    """401 unless the request carries a valid Bot Framework token for this activity (None: go on)."""
    if AUTH not in request.app:
        return None
    try:
        await request.app[AUTH].authenticate(request.headers.get("Authorization"), body)
    except AuthError as exc:
        log.warning("refused activity: %s (%s)", exc, activity_summary(body))
        return web.json_response({"error": "unauthorized"}, status=401)
    return None


async def _refuse_unknown_tenant(services: Services, activity: WireActivity,
                                 body: dict[str, Any]) -> web.Response | None:
    """A polite refusal for a tenant that is no customer's nor the MSP's (an invoke's in its response); else None."""
    tenant = activity.tenant or _local_tenant(services)
    if services.config.is_known_tenant(tenant):
        return None
    log.warning("refused tenant %s (%s)", tenant, activity_summary(body))
    if activity.type == "invoke":
        return web.json_response(refusal_invoke(REFUSAL))
    await _refuse(services, turn_activity(body))
    return web.Response(status=200)


def _local_tenant(services: Services) -> str | None:
    """In local mode, a tenant-less activity (the Emulator) speaks for FAULTLINE_LOCAL_TENANT or the first customer."""
    if not services.settings.local:
        return None
    first = services.config.customers[0] if services.config.customers else None
    return services.settings.local_tenant or (min(first.tenants) if first else None)


async def _turn(app: web.Application, body: dict[str, Any]) -> web.Response:
    services = app[SERVICES]
    with correlated(str(body.get("id") or "") or None), services.telemetry.tracer.start_as_current_span(
            "turn", attributes={"activity.type": str(body.get("type")), "channel": str(body.get("channelId"))}):
        return await _traced_turn(app, services, body)


async def _traced_turn(app: web.Application, services: Services, body: dict[str, Any]) -> web.Response:
    tenant = tenant_of(body) or _local_tenant(services)  # known: messages() refused every other tenant
    activity = turn_activity(body)
    customer = services.config.customer_for_tenant(tenant)
    mark = TurnMark(activity.id) if activity.id and needs_claim(activity) else None
    try:
        claim = await claim_activity(services.conversations, activity, services.clock,
                                     _at_claim(services, activity, tenant, customer, mark))
        remembered = mark is not None
    except Exception:  # the claim alone, then: what failed with it fails again in the turn, and is answered there
        if mark is not None:
            mark.states.clear()
        claim, remembered = await claim_activity(services.conversations, activity, services.clock), False
    if claim.status == BUSY:  # a live turn has it: Teams delivers it again later, by when it has answered
        log.info("activity still being processed elsewhere (%s)", activity_summary(body))
        return web.json_response({"error": "already being processed; retry later"}, status=503,
                                 headers={"Retry-After": "5"})
    if claim.status == DONE:
        return await _replay(app, services, activity, dict(claim.outcome or {}), customer, tenant, body)
    turn = TURN_ACTIVITY.set(mark)
    try:
        if not remembered:  # not in the claim's transaction
            await _remember(services, activity, tenant, customer.id if customer else None)
        response = await app[BOT_ADAPTER_KEY].process(activity, _with_customer(app[BOT].on_turn, customer, tenant))
    except ConcurrentWriteError:  # two turns of one conversation at once: the other one's answer stands
        log.info("dialog state changed by a concurrent turn; this one's state was not kept (%s)",
                 activity_summary(body))
        response = None
    except Exception:
        services.telemetry.turn_errors.add(1)
        ref = uuid.uuid4().hex[:8]
        log.exception("turn failed, reference %s (%s)", ref, activity_summary(body))
        await _apologise(services, activity, ref)
        response = None
    finally:
        TURN_ACTIVITY.reset(turn)
    if mark is not None and (response is not None or not mark.done):  # else its stored state marked it done
        await finish_activity(services.conversations, activity, response, services.clock.now())
    if response is not None:
        return web.json_response(response.body, status=response.status)
    return web.Response(status=200)


async def _replay(app: web.Application, services: Services, activity: Activity, outcome: dict[str, Any],
                  customer: Customer | None, tenant: str | None, body: dict[str, Any]) -> web.Response:
    """A re-delivery of a finished activity: its ticket named again, its invoke answered again, else nothing."""
    log.info("re-delivered activity answered from its first processing (%s)", activity_summary(body))
    if "invoke" in outcome:
        return web.json_response(outcome["invoke"].get("body"), status=outcome["invoke"].get("status", 200))
    if "ticket" in outcome:
        try:
            await app[BOT_ADAPTER_KEY].process(activity, _with_customer(
                lambda context: app[BOT].replay_opened(context, outcome), customer, tenant))
        except Exception:  # the card is in the outbox whatever happens here
            log.exception("re-delivered confirm not answered (%s)", activity_summary(body))
    return web.Response(status=200)


def _with_customer(logic: Callable[[TurnContext], Awaitable[None]], customer: Customer | None,
                   tenant: str | None) -> Callable[[TurnContext], Awaitable[None]]:
    async def run(context: TurnContext) -> None:
        context.turn_state[CUSTOMER_KEY] = customer
        context.turn_state[TENANT_KEY] = tenant
        await logic(context)

    return run


def _at_claim(services: Services, activity: Activity, tenant: str | None, customer: Customer | None,
              mark: TurnMark | None) -> AtClaim:
    """In the claim's transaction: the conversation reference kept, and (for a customer's turn, which reads it)
    the dialog state read for the turn (`TurnMark.states`)."""
    async def also(conn: AsyncConnection) -> list[Noted]:
        noted = await _remember(services, activity, tenant, customer.id if customer else None, conn)
        if customer is not None and mark is not None and activity.channel_id and activity.conversation:
            key = f"{activity.channel_id}/conversations/{activity.conversation.id}"  # ConversationState's key
            mark.states[key] = (await DatabaseStorage(services.db, services.clock).read_in(conn, [key])).get(key)
        return noted

    return also


async def _remember(services: Services, activity: Activity, tenant: str | None, customer_id: str | None,
                    conn: AsyncConnection | None = None) -> list[Noted]:
    """Keep the conversation reference, for proactive messages later (unless this process has kept it already);
    ``conn``: in that transaction, what is returned to be noted once it commits."""
    if not activity.conversation or not activity.service_url:
        return []
    reference = to_json(TurnContext.get_conversation_reference(activity))
    reference.pop("activityId", None)  # changes every turn; proactive messages do not need it
    sender = activity.from_property
    user = sender.aad_object_id if sender else None
    noted = []
    if sender and user and sender.id:
        noted += await services.conversations.remember_user(aad_object_id=user, mri=sender.id, name=sender.name,
                                                            tenant_id=tenant, at=services.clock.now(), conn=conn)
    return noted + await services.conversations.remember(conversation_id=activity.conversation.id, tenant_id=tenant,
                                                         customer_id=customer_id, user_id=user, reference=reference,
                                                         at=services.clock.now(), conn=conn)


async def _say(services: Services, activity: Activity, text: str) -> None:
    """A plain reply outside any turn context (refusals and apologies); failures are logged, not raised."""
    if activity.type != "message" or not activity.service_url or not activity.conversation:
        return
    reply = {"type": "message", "text": text, "replyToId": activity.id,
             "from": activity.recipient.serialize() if activity.recipient else None,
             "recipient": activity.from_property.serialize() if activity.from_property else None,
             "conversation": {"id": activity.conversation.id}}
    try:
        await services.connector.send(activity.service_url, activity.conversation.id, reply, reply_to=activity.id)
    except ConnectorError as exc:
        log.error("could not reply: %s", exc)


async def _refuse(services: Services, activity: Activity) -> None:
    await _say(services, activity, REFUSAL)


async def _apologise(services: Services, activity: Activity, ref: str) -> None:
    await _say(services, activity, SORRY.format(ref=ref))

"""Conversation references, channel bindings, processed activity ids, and the dialog-state `Storage`."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botbuilder.core import ConversationState, Storage, StoreItem, TurnContext
from botbuilder.core.bot_state import CachedBotState
from sqlalchemy import bindparam, delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.db import Database
from bot.store.recent import Recent
from bot.store.schema import channel_bindings, conversation_refs, dialog_state, processed_activities, users


def _upsert(db: Database, table: Any, values: Mapping[str, Any], keys: list[str]) -> Any:
    statement = db.insert(table).values(**values)
    changes = {k: v for k, v in values.items() if k not in keys}
    return statement.on_conflict_do_update(index_elements=keys, set_=changes)


PROCESSING, DONE = "processing", "done"
LIVENESS_LOCK = 7_312_016
"""First key of the PostgreSQL advisory lock each process holds while alive (the second is its instance number)."""


@dataclass(frozen=True)
class _Sql:
    """The statements every turn runs, built once per kind of database (`Database.built_once`): building a
    SQLAlchemy statement and its cache key costs more CPU than running it (values are bound at each execution)."""

    upsert_reference: Any
    upsert_user: Any
    upsert_state: Any
    claim_new: Any
    claim_retake_expired: Any
    claim_retake_abandoned: Any
    claim_found: Any
    mark_done: Any
    finish: Any
    finish_with_outcome: Any
    read_states: Any
    replace_state: Any
    state_exists: Any


def _replacing(db: Database, table: Any, keys: list[str]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE every other column to the inserted row's value."""
    statement = db.insert(table)
    return statement.on_conflict_do_update(
        index_elements=keys, set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys})


def _sql(db: Database) -> _Sql:
    activity = processed_activities.c
    by_activity = activity.activity_id == bindparam("b_activity")
    expired = activity.lease_until < bindparam("b_at")
    dead = text("NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = :ns "
                "AND objsubid = 2 AND granted AND objid::text = processed_activities.claimed_by)"
                ).bindparams(ns=LIVENESS_LOCK)
    state = dialog_state.c

    def retake(abandoned: Any) -> Any:
        return (update(processed_activities).where(by_activity, activity.status == PROCESSING, abandoned)
                .values(claimed_by=bindparam("b_me"), lease_until=bindparam("b_until"), processed_at=bindparam("b_at"))
                .returning(activity.activity_id))

    return _Sql(
        upsert_reference=_replacing(db, conversation_refs, ["conversation_id"]),
        upsert_user=_replacing(db, users, ["aad_object_id"]),
        upsert_state=_replacing(db, dialog_state, ["key"]),
        claim_new=db.insert(processed_activities).on_conflict_do_nothing(index_elements=["activity_id"])
        .returning(activity.activity_id),
        claim_retake_expired=retake(expired),
        claim_retake_abandoned=retake(or_(expired, dead)),  # PostgreSQL, once this process holds its liveness lock
        claim_found=select(activity.status, activity.outcome).where(by_activity),
        mark_done=update(processed_activities).where(by_activity).values(status=DONE, lease_until=None),
        finish=update(processed_activities).where(by_activity)
        .values(status=DONE, processed_at=bindparam("b_at"), lease_until=None),
        finish_with_outcome=update(processed_activities).where(by_activity)
        .values(status=DONE, processed_at=bindparam("b_at"), lease_until=None, outcome=bindparam("b_outcome")),
        read_states=select(state.key, state.data, state.etag).where(state.key.in_(bindparam("b_keys",
                                                                                            expanding=True))),
        replace_state=update(dialog_state).where(state.key == bindparam("b_key"),
                                                 state.etag == bindparam("b_expected"))
        .values(data=bindparam("b_data"), etag=bindparam("b_etag"), updated_at=bindparam("b_updated")),
        state_exists=select(state.key).where(state.key == bindparam("b_key")),
    )


@dataclass(frozen=True)
class Binding:
    """Where a customer's engineer cards go."""

    customer_id: str
    team_id: str | None
    channel_id: str
    service_url: str
    tenant_id: str | None
    bound_by: str
    bound_at: datetime


@dataclass
class TurnMark:
    """The activity the current turn claimed; ``done`` once a write of the turn has marked it done. ``states``:
    dialog states read with the claim, for the turn's first read of them (`DatabaseStorage.read`)."""

    activity_id: str
    done: bool = False
    states: dict[str, Any] = field(default_factory=dict)


Noted = Callable[[], None]
"""What to note in the process's memory once the transaction that wrote it has committed."""
AtClaim = Callable[[AsyncConnection], Awaitable[list[Noted]]]
"""More work for the transaction that claims an activity (run only when the claim is this turn's)."""


TURN_ACTIVITY: ContextVar[TurnMark | None] = ContextVar("faultline_turn_activity", default=None)
"""Set by the HTTP layer for the turn's duration."""
NEW, RETAKEN, BUSY = "new", "retaken", "busy"
ACTIVITY_LEASE = timedelta(seconds=15)
"""How long a turn owns its activity: Teams re-delivers after 15 s, by when a live turn has answered."""


@dataclass(frozen=True)
class Claim:
    """What claiming an activity found: ours (new, or retaken from a dead turn), done before, or busy elsewhere."""

    status: str
    outcome: Mapping[str, Any] | None = None

    @property
    def mine(self) -> bool:
        return self.status in (NEW, RETAKEN)


class ConversationStore:
    """References for proactive messages, channel bindings, and activity de-duplication."""

    def __init__(self, db: Database, remembered: int = 10_000, lease: timedelta = ACTIVITY_LEASE) -> None:
        self.db = db
        self.instance = str(secrets.randbelow(2**31 - 2) + 1)
        self.lease = lease
        self._alive: AsyncConnection | None = None
        self._remembered = Recent(remembered)  # bounded: odd traffic names endless new conversations and users
        self.sql = db.built_once(_sql)

    async def remember(self, *, conversation_id: str, tenant_id: str | None, customer_id: str | None,
                       user_id: str | None, reference: Mapping[str, Any], at: datetime,
                       conn: AsyncConnection | None = None) -> list[Noted]:
        """Store the reference; skipped when this process already stored the very same one. With ``conn``: inside
        that transaction, and what it returns is to be noted once that commits (else it is noted here)."""
        fingerprint = json.dumps([tenant_id, customer_id, user_id, reference], sort_keys=True, default=str)
        if self._remembered.holds(conversation_id, fingerprint):
            return []
        values = {"conversation_id": conversation_id, "tenant_id": tenant_id, "customer_id": customer_id,
                  "user_id": user_id, "reference": dict(reference), "updated_at": at}
        return await self._upsert_then_note(conn, self.sql.upsert_reference, values,
                                            lambda: self._remembered.note(conversation_id, fingerprint))

    async def remember_user(self, *, aad_object_id: str, mri: str, name: str | None, tenant_id: str | None,
                            at: datetime, conn: AsyncConnection | None = None) -> list[Noted]:
        """Keep the Teams id (MRI) of a user we have seen; skipped when unchanged in this process (``conn``: as
        for `remember`)."""
        fingerprint = json.dumps([mri, name, tenant_id])
        if self._remembered.holds(f"user:{aad_object_id}", fingerprint):
            return []
        values = {"aad_object_id": aad_object_id, "mri": mri, "name": name, "tenant_id": tenant_id, "updated_at": at}
        return await self._upsert_then_note(conn, self.sql.upsert_user, values,
                                            lambda: self._remembered.note(f"user:{aad_object_id}", fingerprint))

    async def _upsert_then_note(self, conn: AsyncConnection | None, statement: Any, values: dict[str, Any],
                                note: Noted) -> list[Noted]:
        if conn is not None:
            await conn.execute(statement, values)
            return [note]
        async with self.db.write() as own:
            await own.execute(statement, values)
        note()
        return []

    async def users(self, aad_object_ids: list[str]) -> dict[str, tuple[str, str | None]]:
        """MRI and display name of each known user among ``aad_object_ids``."""
        if not aad_object_ids:
            return {}
        async with self.db.read() as conn:
            rows = await conn.execute(select(users.c.aad_object_id, users.c.mri, users.c.name)
                                      .where(users.c.aad_object_id.in_(aad_object_ids)))
            return {aad: (mri, name) for aad, mri, name in rows}

    async def reference(self, conversation_id: str) -> Mapping[str, Any] | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(conversation_refs.c.reference)
                                      .where(conversation_refs.c.conversation_id == conversation_id))).one_or_none()
            return None if row is None else row[0]

    async def personal_chat(self, user_id: str) -> Mapping[str, Any] | None:
        """The reference of the newest 1:1 chat this person has had with the bot (their turns keep it), if any."""
        refs = conversation_refs.c
        async with self.db.read() as conn:
            rows = await conn.execute(select(refs.reference).where(refs.user_id == user_id)
                                      .order_by(refs.updated_at.desc()))
            for (reference,) in rows:
                conversation = reference.get("conversation") or {}
                if conversation.get("conversationType", "personal") == "personal" and conversation.get("id"):
                    return dict(reference)
        return None

    async def bind(self, binding: Binding) -> None:
        values = {k: getattr(binding, k) for k in binding.__dataclass_fields__}
        async with self.db.write() as conn:
            await conn.execute(_upsert(self.db, channel_bindings, values, ["customer_id"]))

    async def binding(self, customer_id: str) -> Binding | None:
        return (await self.bindings([customer_id]))[customer_id]

    async def bindings(self, customer_ids: Iterable[str]) -> dict[str, Binding | None]:
        """The customers' channel bindings, in one query (None: that customer's channel is not bound)."""
        wanted = sorted(set(customer_ids))
        found: dict[str, Binding | None] = dict.fromkeys(wanted)
        if wanted:
            async with self.db.read() as conn:
                for row in await conn.execute(select(channel_bindings)
                                              .where(channel_bindings.c.customer_id.in_(wanted))):
                    found[row.customer_id] = Binding(**dict(row._mapping))
        return found

    async def claim_activity(self, activity_id: str, conversation_id: str | None, at: datetime) -> bool:
        """True when this turn may process the activity (first delivery, or a re-delivery nobody finished)."""
        return (await self.claim(activity_id, conversation_id, at)).mine

    async def claim(self, activity_id: str, conversation_id: str | None, at: datetime,
                    also: AtClaim | None = None) -> Claim:
        """Take the activity for this turn (status processing, leased), or say why not (done / busy); ``also``
        runs in the same transaction when the claim is this turn's.

        A claim left processing by a process that died is taken over at once on PostgreSQL (the claimer's liveness
        lock is gone), else once its lease has run out.
        """
        async with self.db.write() as conn:
            claim = await self._claim_in(conn, activity_id, conversation_id, at)
            noted = await also(conn) if also is not None and claim.mine else []
        _note(noted)
        return claim

    async def _claim_in(self, conn: AsyncConnection, activity_id: str, conversation_id: str | None,
                        at: datetime) -> Claim:
        values = {"activity_id": activity_id, "conversation_id": conversation_id, "processed_at": at,
                  "status": PROCESSING, "claimed_by": self.instance, "lease_until": at + self.lease}
        if (await conn.execute(self.sql.claim_new, values)).one_or_none() is not None:
            return Claim(NEW)
        retake = {"b_activity": activity_id, "b_at": at, "b_me": self.instance, "b_until": at + self.lease}
        retaking = self.sql.claim_retake_expired if self._alive is None else self.sql.claim_retake_abandoned
        if (await conn.execute(retaking, retake)).one_or_none() is not None:
            return Claim(RETAKEN)
        row = (await conn.execute(self.sql.claim_found, {"b_activity": activity_id})).one()
        return Claim(DONE, row.outcome) if row.status == DONE else Claim(BUSY)

    async def start(self) -> None:
        """PostgreSQL: hold this process's liveness lock while it lives (the server drops it when the process dies,
        so a turn it left half-done is retaken at once); claims then retake its dead peers' at once."""
        if self.db.is_sqlite or self._alive is not None:
            return
        conn = await self.db.engine.connect()
        await conn.execute(text("SELECT pg_advisory_lock(:ns, :me)"), {"ns": LIVENESS_LOCK, "me": int(self.instance)})
        await conn.commit()
        self._alive = conn

    async def stop(self) -> None:
        if self._alive is not None:
            await self._alive.execute(text("SELECT pg_advisory_unlock(:ns, :me)"),
                                      {"ns": LIVENESS_LOCK, "me": int(self.instance)})
            await self._alive.commit()
            await self._alive.close()
            self._alive = None

    async def finish_activity(self, activity_id: str, at: datetime, outcome: Mapping[str, Any] | None = None,
                              conn: AsyncConnection | None = None) -> None:
        """Mark the activity done (with what a re-delivery should answer); ``conn``: inside that transaction."""
        statement, values = self.sql.finish, {"b_activity": activity_id, "b_at": at}
        if outcome is not None:
            statement, values["b_outcome"] = self.sql.finish_with_outcome, dict(outcome)
        if conn is not None:
            await conn.execute(statement, values)
            return
        async with self.db.write() as own:
            await own.execute(statement, values)

    async def forget_activities_before(self, cutoff: datetime) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(delete(processed_activities)
                                        .where(processed_activities.c.processed_at < cutoff))
            return int(result.rowcount or 0)


class _HashedAsJson(CachedBotState):  # type: ignore[misc]
    """A turn's cached dialog state, whose change is seen by comparing JSON (botbuilder's jsonpickle takes ~0.15 ms
    a time, three times a turn); the state is plain JSON anyway (`_plain`)."""

    def compute_hash(self, obj: object) -> str:
        return json.dumps(obj, sort_keys=True, default=repr)


class DialogState(ConversationState):  # type: ignore[misc]
    """botbuilder's ConversationState, with its cache hashed as JSON (`_HashedAsJson`)."""

    async def load(self, turn_context: TurnContext, force: bool = False) -> None:
        cached = self.get_cached_state(turn_context)
        if force or not cached or not cached.state:
            key = self.get_storage_key(turn_context)
            items = await self._storage.read([key])
            turn_context.turn_state[self._context_service_key] = _HashedAsJson(items.get(key))


def _note(noted: list[Noted]) -> None:
    for note in noted:
        note()


class ConcurrentWriteError(Exception):
    """Dialog state changed underneath a turn (optimistic concurrency, by e_tag)."""


class DatabaseStorage(Storage):  # type: ignore[misc]
    """botbuilder `Storage` on the same database, so a half-finished report survives a restart."""

    def __init__(self, db: Database, clock: Any) -> None:
        self.db = db
        self.clock = clock
        self.sql = db.built_once(_sql)

    async def read(self, keys: list[str]) -> dict[str, Any]:
        """The stored states of ``keys``; those the turn's claim read (`TurnMark.states`) are not read again until
        the turn writes one: a state found is handed out once (it is the turn's to change), one not found stays so."""
        if not keys:
            return {}
        turn = TURN_ACTIVITY.get()
        if turn is not None and turn.states and all(key in turn.states for key in keys):
            found = {key: turn.states[key] for key in keys if turn.states[key] is not None}
            for key in found:
                del turn.states[key]
            return found
        async with self.db.read() as conn:
            return await self.read_in(conn, keys)

    async def read_in(self, conn: AsyncConnection, keys: list[str]) -> dict[str, Any]:
        """`read` inside the caller's transaction."""
        rows = await conn.execute(self.sql.read_states, {"b_keys": keys})
        return {key: {**data, "e_tag": etag} for key, data, etag in rows}

    async def write(self, changes: dict[str, Any]) -> None:
        """Write the states; the turn's activity (TURN_ACTIVITY) is marked done in the same transaction, so a
        re-delivery never applies a stored answer twice."""
        if not changes:
            return
        async with self.db.write() as conn:
            for key, value in changes.items():
                await self._write_one(conn, key, value)
            turn = TURN_ACTIVITY.get()
            if turn is not None:
                await conn.execute(self.sql.mark_done, {"b_activity": turn.activity_id})
        if turn is not None:
            turn.done = True

    async def write_in(self, conn: AsyncConnection, key: str, value: Any) -> str:
        """Write one state inside the caller's transaction (same e_tag check); returns the new e_tag."""
        return await self._write_one(conn, key, value)

    async def _write_one(self, conn: AsyncConnection, key: str, value: Any) -> str:
        _forget_prefetched()
        data = _plain(value)
        expected = data.pop("e_tag", None)
        values = {"key": key, "data": data, "etag": uuid.uuid4().hex, "updated_at": self.clock.now()}
        if expected in (None, "*"):
            await conn.execute(self.sql.upsert_state, values)
            return str(values["etag"])
        # One statement on the usual path: replace the state only if nobody changed it since it was read.
        changed = await conn.execute(self.sql.replace_state, {
            "b_key": key, "b_expected": expected, "b_data": data, "b_etag": values["etag"],
            "b_updated": values["updated_at"]})
        if changed.rowcount == 1:
            return str(values["etag"])
        if (await conn.execute(self.sql.state_exists, {"b_key": key})).first() is not None:
            raise ConcurrentWriteError(f"state {key!r} changed since it was read")
        await conn.execute(self.sql.upsert_state, values)
        return str(values["etag"])

    async def delete(self, keys: list[str]) -> None:
        _forget_prefetched()
        async with self.db.write() as conn:
            await conn.execute(delete(dialog_state).where(dialog_state.c.key.in_(keys)))


def _forget_prefetched() -> None:
    """A write of the turn makes what its claim read stale."""
    turn = TURN_ACTIVITY.get()
    if turn is not None:
        turn.states.clear()


def _plain(value: Any) -> dict[str, Any]:
    """A JSON-safe copy of a state object (a dict, or a StoreItem's attributes)."""
    if isinstance(value, StoreItem):
        value = dict(vars(value))
    if not isinstance(value, Mapping):
        raise TypeError(f"dialog state must be a mapping, not {type(value).__name__}")
    plain: dict[str, Any] = json.loads(json.dumps(dict(value), default=str))
    return plain

"""One cache for everything public that shows an event: its page, its register page, its exports.

**One namespace per event.** Every entry's key starts with the event's *generation*, a value
that one receiver (`programme_changed`) replaces whenever the event or its programme changes:
a save or delete of the event, a room, an agenda item, a speaker or a speaker link, a question
of the registration form or one of its options (admin, services, shell alike), and every
`QuerySet.update()` of those models (ProgrammeQuerySet sends the same signal). Entries of an
older generation are never read again and simply expire. The generation also carries the
moment it was made: exports answer with it as Last-Modified, and their ETag names the entry.

**Per-process memory** (`local`) keeps only immutable values: rendered pages and files (str,
bytes) under keys that include the generation, and slug → primary key. `reset()` empties it
(tests call it around each test).

**Every key names the release** (a digest of the code, templates and translations), so a
deploy never serves what other code rendered.

**Keys never use the request's Host header**: links in pages use `settings.SITE_URL`.

**A cache outage is a miss** (koki/cache.py): without Redis every request reads the database.
"""

import functools
import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import django
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.http import Http404
from django.shortcuts import get_object_or_404

from events.models import (
    AgendaItem,
    AgendaItemSpeaker,
    Event,
    Organiser,
    Question,
    QuestionChoice,
    Room,
    Speaker,
    programme_changed,
)

ENTRY_SECONDS = 24 * 60 * 60  # entries of a generation that nothing changes


# --- Per-process memory: immutable values only ---------------------------------------------------


class LocalMemory:
    """A small thread-safe LRU of immutable values (str, bytes, int, tuples of those)."""

    IMMUTABLE = (str, bytes, int, tuple, frozenset)

    def __init__(self, *, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def set(self, key: str, value) -> None:
        if not isinstance(value, self.IMMUTABLE):
            raise TypeError(f"Only immutable values are kept per process, not {type(value)}.")
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


local = LocalMemory(max_entries=256)


def reset() -> None:
    """Forget everything this process keeps (tests; the shared cache is cleared separately)."""
    local.clear()


# --- Generations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generation:
    """The current generation of an event's cached entries."""

    value: str  # "<unix time>.<random>"

    @property
    def timestamp(self) -> int:
        """When it was made: the Last-Modified of everything cached under it."""
        return int(self.value.partition(".")[0])


@functools.cache
def release() -> str:
    """A digest of what renders cached content besides the data: the code, templates and
    translations, the static files' manifest (hashed names), Django's version and the site's
    address. A deploy that changes any of them starts with new keys (old entries expire)."""
    digest = hashlib.sha256(f"{django.get_version()} {settings.SITE_URL}".encode())
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    for folder in ("events", "registrations", "koki", "templates", "locale"):
        for path in sorted((settings.BASE_DIR / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".html", ".txt", ".mo"}:
                digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _generation_key(event_id: int) -> str:
    return f"koki:e{event_id}:generation"


def _new_value(after: str | None = None) -> str:
    """A new generation, its moment later than `after`'s (Last-Modified counts in seconds: a
    change within the second of the last one must still move it on)."""
    moment = int(time.time())
    if after:
        moment = max(moment, Generation(after).timestamp + 1)
    return f"{moment}.{uuid.uuid4().hex[:16]}"


def generation(event_id: int, found: str | None = None) -> Generation:
    """The event's current generation (`found`: already read with other keys)."""
    value = found or cache.get(_generation_key(event_id))
    if value is None:
        value = _new_value()
        # Another process may have made one at the same moment: theirs wins.
        cache.add(_generation_key(event_id), value, None)
        value = cache.get(_generation_key(event_id)) or value
    return Generation(value)


def bump(*, event_ids) -> None:
    """Everything cached for these events is outdated.

    Twice: at once, and again when the transaction commits. A request between the two still
    reads the old data and may store it under the first new generation; the second one makes
    sure nothing stored in that gap outlives the commit.
    """
    keys = [_generation_key(pk) for pk in set(event_ids) if pk is not None]

    def set_new() -> None:
        current = cache.get_many(keys)
        cache.set_many({key: _new_value(current.get(key)) for key in keys}, None)

    if keys:
        set_new()
        if connection.in_atomic_block:
            transaction.on_commit(set_new)


def _event_ids(instance) -> set[int]:
    if isinstance(instance, Event):
        return {instance.pk}
    if isinstance(instance, Organiser):  # shown in each of its events' pages and mails
        return set(Event.objects.filter(organiser=instance).values_list("pk", flat=True))
    if isinstance(instance, Room | AgendaItem | Question):
        return {instance.event_id}
    if isinstance(instance, QuestionChoice):
        return set(
            Question.objects.filter(pk=instance.question_id).values_list("event_id", flat=True)
        )
    if isinstance(instance, AgendaItemSpeaker):
        items = AgendaItem.objects.filter(pk=instance.agenda_item_id)
    else:  # Speaker
        items = AgendaItem.objects.filter(speaker_links__speaker=instance)
    return set(items.values_list("event_id", flat=True))


def _changed(*, sender, instance=None, event_ids=None, **kwargs) -> None:
    """The one receiver: saves, deletes, speaker links and the project's bulk updates (and a
    room or item moved to another event: both events change)."""
    if event_ids is None:
        event_ids = _event_ids(instance) | getattr(instance, "_koki_events_before", set())
    bump(event_ids=event_ids)


def _remember_event(*, sender, instance, **kwargs) -> None:
    """Before a room, item or question is saved: its event as stored, in case the save moves it."""
    if instance.pk is not None:
        before = sender.objects.filter(pk=instance.pk).values_list("event_id", flat=True)
        instance._koki_events_before = set(before)


def connect_signals() -> None:
    """Called from EventsConfig.ready()."""
    for model in (Event, Room, AgendaItem, Speaker, AgendaItemSpeaker, Question, QuestionChoice):
        uid = f"koki-cache-{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}-delete")
        programme_changed.connect(_changed, sender=model, dispatch_uid=f"{uid}-update")
    post_save.connect(_changed, sender=Organiser, dispatch_uid="koki-cache-Organiser-save")
    # Before and after each change of the links: a speaker's removed items are found only
    # before (pre_remove, pre_clear), the items added only after.
    m2m_changed.connect(_changed, sender=AgendaItemSpeaker, dispatch_uid="koki-cache-m2m")
    for model in (Room, AgendaItem, Question):
        pre_save.connect(_remember_event, sender=model, dispatch_uid=f"koki-cache-{model}-pre")


# --- The published event behind a slug -----------------------------------------------------------


@dataclass(frozen=True)
class PublicEvent:
    """A published event as a request sees it, with the generation its entries are keyed by.

    `entries`: the short-lived entries (see `store_entry`) read together with the event.
    """

    event: Event
    generation: Generation
    entries: dict = field(default_factory=dict)

    def key(self, *parts) -> str:
        """A cache key in the event's namespace, naming `parts` (hashed)."""
        return event_key(self.event.pk, self.generation, *parts)


def event_key(event_id: int, current: Generation, *parts) -> str:
    """A cache key for content of the event as it is in generation `current`, naming `parts`."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"koki:e{event_id}:{current.value}:{release()}:{digest}"


def _entry_key(event_id: int, name: str) -> str:
    return f"koki:e{event_id}:{release()}:{name}"


def _load(event_id: int | None, slug: str, entries: tuple[str, ...]) -> PublicEvent | None:
    """The event (and `entries`) from the shared cache, if stored under its current generation:
    one read."""
    if event_id is None:
        return None
    keys = [_generation_key(event_id), *(_entry_key(event_id, n) for n in ("event", *entries))]
    found = cache.get_many(keys)
    current = generation(event_id, found.get(keys[0]))
    stored = {
        name: found[key][1]
        for name, key in zip(("event", *entries), keys[1:], strict=True)
        if key in found and found[key][0] == current.value
    }
    event = stored.pop("event", None)
    if event is None or event.slug != slug or not event.is_published:
        return None
    return PublicEvent(event=event, generation=current, entries=stored)


def published_event(*, slug: str, entries: tuple[str, ...] = ()) -> PublicEvent:
    """The published event named `slug` (404 otherwise), with whichever of the named `entries`
    the cache holds for its current generation. A warm cache answers with one read and no
    query; the event is never older than its last change (its generation moves then)."""
    public = _load(local.get(f"slug:{slug}"), slug, entries)
    if public is None:
        # The generation first, then the data it keys: a change committing in between moves
        # the generation on, so what is read here is never stored as current.
        pk = Event.objects.published().filter(slug=slug).values_list("pk", flat=True).first()
        if pk is None:
            raise Http404
        current = generation(pk)
        event = get_object_or_404(Event.objects.published().select_related("organiser"), pk=pk)
        public = PublicEvent(event=event, generation=current)
        store_entry(public, "event", event, ENTRY_SECONDS)
        local.set(f"slug:{slug}", event.pk)
    return public


def store_entry(public: PublicEvent, name: str, value, seconds: float) -> None:
    """Keep `value` for `seconds`, to be read with the event (`published_event(entries=…)`)
    while the event's generation lasts."""
    cache.set(_entry_key(public.event.pk, name), (public.generation.value, value), seconds)


# --- Rendered content --------------------------------------------------------------------------


def cached[T: (str, bytes, tuple)](key: str, render: Callable[[], T]) -> T:
    """What is stored under `key` (this process, then the shared cache), else `render()`,
    stored in both. `key` must name everything the content depends on (PublicEvent.key)."""
    content = local.get(key)
    if content is None:
        content = cache.get(key)
        if content is None:
            content = render()
            cache.set(key, content, ENTRY_SECONDS)
        local.set(key, content)
    return content

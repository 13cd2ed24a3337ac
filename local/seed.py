"""Demo data for the local stack: two tenants, their users and about 200 clients each, with
a year of work around them.

Each tenant has a tag catalogue (set on a third of the clients); most clients have
activities (calls, emails, meetings, WhatsApp, visits: done, a few cancelled or private,
some with a follow-up task), some have notes; clients moved along the pipeline with a
reason, leads and prospects were converted, clients promoted to VIP, and the school's
students linked to their academic record. Every user has tasks overdue, due today, this week
and next week (days of the tenant's time zone), some completed, and activities scheduled in
the coming weeks.

Everything is written through the service layer, exactly as the API writes it: duplicate
guards, client numbers, statistics counters, summaries and timeline events included, each
write as the user who would make it (a client's responsible; the catalogue by the admin and
the manager) with the service's clock set to when it happened. The content is deterministic
(a fixed random seed, drawn the same way whatever the hour); the dates are relative to now,
spread over the last year, so the listings, the panels and the monthly counters look like a
real year of work.

The environment must point at the embedded AWS before `seed_demo()` is called (local.stack
does that).
"""

from __future__ import annotations

import itertools
import random
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import phonenumbers

from chalicelib.domain.activities import ActivityCreate, ActivityStatus, ActivityType, NoteCreate
from chalicelib.domain.catalogs import CustomFieldCreate, FieldType, SourceCreate
from chalicelib.domain.clients import (
    Address,
    ClientCreate,
    ClientKind,
    ClientStatus,
    ClientType,
    ClientUpdate,
    StageChange,
    StudentLink,
)
from chalicelib.domain.groups import GroupCreate
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.tags import ClientTags, Tag, TagCreate
from chalicelib.domain.tasks import TaskCreate
from chalicelib.domain.tenants import Language, SettingsUpdate, UserUpsert
from local import demo_data as d
from local.demo_data import Place, Story

if TYPE_CHECKING:
    from chalicelib.services.clients import ClientService
    from chalicelib.services.relations import RelationsService

SEED = 20240917
CLIENTS_PER_TENANT = 200


@dataclass(frozen=True)
class DemoUser:
    tenant: str
    user_id: str
    role: Role
    name: str
    email: str

    def principal(self) -> Principal:
        return Principal(
            tenant_id=self.tenant,
            user_id=self.user_id,
            role=self.role,
            name=self.name,
            email=self.email,
        )


def _slug(text: str, sep: str = "") -> str:
    """'José Luis Núñez' → 'jose.luis.nunez' (ASCII, lower case)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return sep.join(words)


def _team(tenant: str, domain: str, names: tuple[str, str, str, str]) -> tuple[DemoUser, ...]:
    """admin, manager and two sales users: `<tenant>-admin`, …, `<tenant>-sales-2`."""
    ids_roles = (
        ("admin", Role.ADMIN),
        ("manager", Role.MANAGER),
        ("sales-1", Role.SALES),
        ("sales-2", Role.SALES),
    )
    return tuple(
        DemoUser(tenant, f"{tenant}-{suffix}", role, name, f"{_user_mailbox(name)}@{domain}")
        for (suffix, role), name in zip(ids_roles, names, strict=True)
    )


def _user_mailbox(name: str) -> str:
    """'Elena Ruiz Ortega' → 'elena.ruiz'."""
    return ".".join(_slug(name, " ").split()[:2])


# --- the two tenants ------------------------------------------------------------------------


@dataclass(frozen=True)
class Locale:
    """How one tenant's clients look: names, places, phones, companies, notes."""

    region: str
    first_names: tuple[str, ...]
    surnames: tuple[str, ...]
    streets: tuple[str, ...]
    places: tuple[Place, ...]
    email_domains: tuple[str, ...]
    companies: tuple[str, ...]
    business_kinds: tuple[str, ...]
    company_suffixes: tuple[str, ...]
    company_domains: tuple[str, ...]
    notes: tuple[str, ...]
    company_share: float
    phone: Callable[[random.Random, Place], str]
    custom: Callable[[random.Random, bool], dict[str, Any]]
    street_line: Callable[[random.Random, str], str]
    postal_code: Callable[[random.Random, Place], str]


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    settings: SettingsUpdate
    users: tuple[DemoUser, ...]
    locale: Locale
    story: Story
    tag_hints: Callable[[ClientCreate], list[str]]  # the tags a client obviously deserves
    students: bool = False  # clients are linked to the academic module's records
    custom_fields: tuple[CustomFieldCreate, ...] = ()  # the definitions of `locale.custom`
    source: SourceCreate | None = None  # a custom source; it stands in for "other"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone or "UTC")

    def user(self, role: Role) -> DemoUser:
        return next(u for u in self.users if u.role is role)


def _es_phone(rng: random.Random, place: Place) -> str:
    """'612 345 678' (mobile) or '91 123 45 67' / '954 12 34 56' (landline)."""
    if rng.random() < 0.65:
        first = rng.choice(("6", "6", "6", "7"))
        rest = f"{rng.randint(10, 99) if first == '6' else rng.randint(10, 49)}"
        digits = f"{first}{rest}{rng.randint(0, 999_999):06d}"
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    area = place.area_code
    digits = area + "".join(str(rng.randint(0, 9)) for _ in range(9 - len(area)))
    if len(area) == 2:
        return f"{digits[:2]} {digits[2:5]} {digits[5:7]} {digits[7:]}"
    return f"{digits[:3]} {digits[3:5]} {digits[5:7]} {digits[7:]}"


def _ar_phone(rng: random.Random, place: Place) -> str:
    """'011 15-4567-8901' (mobile) or '011 4567-8901' / '0221 456-7890' (landline)."""
    local_len = 10 - len(place.area_code)
    first = str(rng.randint(2, 6)) if rng.random() < 0.65 else "4"
    subscriber = first + "".join(str(rng.randint(0, 9)) for _ in range(local_len - 1))
    mobile = first != "4"
    raw = f"{'+54 9 ' if mobile else '+54 '}{place.area_code} {subscriber}"
    number = phonenumbers.parse(raw, "AR")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))


def _es_street(rng: random.Random, street: str) -> str:
    floor = rng.choice(("", "", f", {rng.randint(1, 8)}º {rng.choice('ABCD')}", ", bajo"))
    return f"{street}, {rng.randint(1, 180)}{floor}"


def _ar_street(rng: random.Random, street: str) -> str:
    unit = rng.choice(("", "", f", piso {rng.randint(1, 12)} {rng.choice('ABCD')}"))
    return f"{street} {rng.randint(100, 5800)}{unit}"


def _es_postal(rng: random.Random, place: Place) -> str:
    width = 5 - len(place.postal_prefix)
    top = 52 if width == 2 else 10**width - 1  # Madrid city: 28001 to 28052
    return place.postal_prefix + f"{rng.randint(1, top):0{width}d}"


def _ar_postal(rng: random.Random, place: Place) -> str:
    """Argentine CPA: a letter, four digits, three letters (C1425DKB)."""
    digits = 5 - len(place.postal_prefix)
    number = f"{rng.randint(0, 10**digits - 1):0{digits}d}" if digits > 0 else ""
    suffix = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return f"{place.postal_prefix}{number}{suffix}"


def _school_custom(rng: random.Random, company: bool) -> dict[str, Any]:
    custom: dict[str, Any] = {"language": rng.choice(d.ES_LANGUAGES)}
    if company:
        custom["employees"] = rng.randint(3, 40)
    else:
        custom["level"] = rng.choice(d.ES_LEVELS)
        custom["schedule"] = rng.choice(d.ES_SCHEDULES)
    return custom


def _fieldsvc_custom(rng: random.Random, company: bool) -> dict[str, Any]:
    custom: dict[str, Any] = {"equipment": rng.choice(d.AR_EQUIPMENT)}
    if company or rng.random() < 0.3:
        custom["contract"] = rng.choice(d.AR_CONTRACTS)
        custom["visits_per_year"] = rng.choice((2, 4, 6, 12))
    return custom


def _school_tags(data: ClientCreate) -> list[str]:
    custom = data.custom or {}
    hints = ["Empresa"] if data.legal_name else []
    if custom.get("language") == "inglés" and custom.get("level") in ("B1", "B2"):
        hints.append("Inglés B2")
    if custom.get("schedule") == "online":
        hints.append("Online")
    if data.source == "referral":
        hints.append("Recomienda")
    return hints


_NORTH = {"Vicente López", "San Isidro"}
_SOUTH = {"Quilmes", "Lanús", "La Plata"}


def _fieldsvc_tags(data: ClientCreate) -> list[str]:
    custom = data.custom or {}
    city = data.address.city if data.address else None
    hints = ["Zona Norte"] if city in _NORTH else ["Zona Sur"] if city in _SOUTH else []
    if custom.get("contract") in ("abono mensual", "abono trimestral"):
        hints.append("Contrato anual")
    if custom.get("equipment") in ("Cámara frigorífica", "Grupo electrógeno Gamma"):
        hints.append("Equipo crítico")
    if data.legal_name:
        hints.append("Factura A")
    return hints


SCHOOL = DemoTenant(
    tenant_id="school",
    settings=SettingsUpdate(
        name="Academia Lumen",
        timezone="Europe/Madrid",
        language=Language.ES,
        default_phone_region="ES",
    ),
    users=_team(
        "school",
        "academialumen.es",
        ("Elena Ruiz Ortega", "Javier Morales Gil", "Lucía Fernández Sanz", "Pablo Herrera Cano"),
    ),
    locale=Locale(
        region="ES",
        first_names=d.ES_FIRST_NAMES,
        surnames=d.ES_SURNAMES,
        streets=d.ES_STREETS,
        places=d.ES_PLACES,
        email_domains=d.ES_EMAIL_DOMAINS,
        companies=d.ES_COMPANIES,
        business_kinds=d.ES_BUSINESS_KINDS,
        company_suffixes=d.ES_COMPANY_SUFFIXES,
        company_domains=d.ES_COMPANY_DOMAINS,
        notes=d.ES_NOTES,
        company_share=0.15,
        phone=_es_phone,
        custom=_school_custom,
        street_line=_es_street,
        postal_code=_es_postal,
    ),
    story=d.SCHOOL_STORY,
    tag_hints=_school_tags,
    students=True,
    custom_fields=(
        CustomFieldCreate(
            key="language", label="Idioma", type=FieldType.SELECT, options=list(d.ES_LANGUAGES)
        ),
        CustomFieldCreate(
            key="level", label="Nivel", type=FieldType.SELECT, options=list(d.ES_LEVELS)
        ),
        CustomFieldCreate(
            key="schedule", label="Horario", type=FieldType.SELECT, options=list(d.ES_SCHEDULES)
        ),
        CustomFieldCreate(key="employees", label="Empleados", type=FieldType.NUMBER),
    ),
    source=SourceCreate(
        key="feria",
        name_es="Feria de idiomas",
        name_en="Language fair",
        icon_url="https://academialumen.es/iconos/feria.svg",
    ),
)

FIELDSVC = DemoTenant(
    tenant_id="fieldsvc",
    settings=SettingsUpdate(
        name="Servicios Técnicos del Plata",
        timezone="America/Argentina/Buenos_Aires",
        language=Language.ES,
        default_phone_region="AR",
    ),
    users=_team(
        "fieldsvc",
        "serviciosdelplata.com.ar",
        ("Graciela Benítez", "Hernán Ferreyra", "Camila Russo", "Matías Acosta"),
    ),
    locale=Locale(
        region="AR",
        first_names=d.AR_FIRST_NAMES,
        surnames=d.AR_SURNAMES,
        streets=d.AR_STREETS,
        places=d.AR_PLACES,
        email_domains=d.AR_EMAIL_DOMAINS,
        companies=d.AR_COMPANIES,
        business_kinds=d.AR_BUSINESS_KINDS,
        company_suffixes=d.AR_COMPANY_SUFFIXES,
        company_domains=d.AR_COMPANY_DOMAINS,
        notes=d.AR_NOTES,
        company_share=0.35,
        phone=_ar_phone,
        custom=_fieldsvc_custom,
        street_line=_ar_street,
        postal_code=_ar_postal,
    ),
    story=d.FIELDSVC_STORY,
    tag_hints=_fieldsvc_tags,
    custom_fields=(
        CustomFieldCreate(key="equipment", label="Equipo", type=FieldType.TEXT),
        CustomFieldCreate(
            key="contract", label="Contrato", type=FieldType.SELECT, options=list(d.AR_CONTRACTS)
        ),
        CustomFieldCreate(key="visits_per_year", label="Visitas por año", type=FieldType.NUMBER),
    ),
    source=SourceCreate(
        key="licitacion",
        name_es="Licitación",
        name_en="Public tender",
        icon_url="https://serviciosdelplata.com.ar/iconos/licitacion.svg",
    ),
)

TENANTS = (SCHOOL, FIELDSVC)


def demo_users() -> list[DemoUser]:
    return [user for tenant in TENANTS for user in tenant.users]


# --- planning the clients (pure: no I/O) ---------------------------------------------------


class Act(StrEnum):
    """What a step does, and what its body is."""

    STAGE = "stage"  # StageChange
    CONVERT = "convert"
    PROMOTE_VIP = "promote_vip"
    LINK_STUDENT = "link_student"  # StudentLink
    DEACTIVATE = "deactivate"
    TAGS = "tags"  # tuple of tag names
    ACTIVITY = "activity"  # ActivityCreate; `key` names its follow-up task
    NOTE = "note"  # NoteCreate
    TASK = "task"  # TaskCreate; `key` names it
    COMPLETE = "complete"  # `target`: the key of the task


@dataclass(frozen=True)
class Step:
    """One write about a client after its creation: as `who`, with the clock at `at`."""

    at: datetime
    who: DemoUser
    act: Act
    body: Any = None
    key: str | None = None
    target: str | None = None


@dataclass
class PlannedClient:
    owner: DemoUser
    data: ClientCreate  # as created; the steps take it to where it is today
    created_at: datetime
    final: ClientCreate  # type and stage it ends with
    steps: list[Step] = field(default_factory=list)
    deactivated_at: datetime | None = None

    def add(self, step: Step) -> None:
        self.steps.append(step)

    @property
    def open(self) -> bool:
        """Still worked on: active and not lost (pending tasks, scheduled activities)."""
        return self.deactivated_at is None and self.final.stage != "lost"

    def ordered_steps(self) -> list[Step]:
        return sorted(self.steps, key=lambda s: s.at)  # stable: a follow-up after its activity


# type → stages a client of that type can be in, with weights
_PIPELINE: dict[ClientType, tuple[tuple[str, ...], tuple[int, ...]]] = {
    ClientType.LEAD: (("contact", "prospect", "lost"), (6, 3, 2)),
    ClientType.PROSPECT: (("prospect", "visiting", "negotiation", "lost"), (3, 3, 3, 1)),
    ClientType.CLIENT: (("won",), (1,)),
    ClientType.VIP: (("won",), (1,)),
}
_TYPES = (ClientType.LEAD, ClientType.PROSPECT, ClientType.CLIENT, ClientType.VIP)
_TYPE_WEIGHTS = (35, 25, 30, 10)
_SOURCES = ("referral", "web", "direct", "competition", "other", None)
_SOURCE_WEIGHTS = (25, 35, 20, 5, 5, 10)
_KINDS = (ClientKind.CUSTOMER, ClientKind.COLLABORATOR, ClientKind.OTHER)
_KIND_WEIGHTS = (85, 10, 5)
_OWNER_WEIGHTS = (1, 2, 5, 4)  # admin, manager, sales-1, sales-2


class ClientFactory:
    """Invents the clients of one tenant; never repeats an email or a phone number."""

    def __init__(self, tenant: DemoTenant, rng: random.Random) -> None:
        self.tenant = tenant
        self.locale = tenant.locale
        self.rng = rng
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.company_names: set[str] = set()

    def person(self) -> str:
        """A full name: first name and two surnames in Spain, one in Argentina."""
        rng, loc = self.rng, self.locale
        name = f"{rng.choice(loc.first_names)} {rng.choice(loc.surnames)}"
        return f"{name} {rng.choice(loc.surnames)}" if loc.region == "ES" else name

    def company(self) -> str:
        rng, loc = self.rng, self.locale
        for _ in range(50):
            if rng.random() < 0.5:
                name = rng.choice(loc.companies)
            else:
                name = f"{rng.choice(loc.business_kinds)} {rng.choice(loc.surnames)}"
            if name not in self.company_names:
                break
        self.company_names.add(name)
        return name

    def email(self, name: str, company: bool) -> str:
        rng, loc = self.rng, self.locale
        if company:
            local = rng.choice(("info", "contacto", "administracion", "compras"))
            base = f"{local}@{_slug(name)}.{rng.choice(loc.company_domains)}"
        else:
            words = _slug(name, " ").split()
            pattern = rng.randrange(4)
            if pattern == 0:
                local = f"{words[0]}.{words[1]}"
            elif pattern == 1:
                local = f"{words[0][0]}{words[1]}"
            elif pattern == 2:
                local = f"{words[0]}{words[-1]}{rng.randint(1, 99)}"
            else:
                local = f"{words[0]}_{words[1]}"
            base = f"{local}@{rng.choice(loc.email_domains)}"
        return self._unique_email(base)

    def _unique_email(self, email: str) -> str:
        local, _, domain = email.partition("@")
        candidate, n = email, 1
        while candidate.lower() in self.emails:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.emails.add(candidate.lower())
        return candidate

    def phone(self, place: Place) -> str:
        while True:
            raw = self.locale.phone(self.rng, place)
            number = phonenumbers.parse(raw, self.locale.region)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if phonenumbers.is_valid_number(number) and e164 not in self.phones:
                self.phones.add(e164)
                return raw

    def place(self) -> Place:
        places = self.locale.places
        return self.rng.choices(places, weights=[p.weight for p in places])[0]

    def address(self, place: Place) -> Address:
        rng, loc = self.rng, self.locale
        spread = 0.05 if place.weight >= 10 else 0.02
        return Address(
            street=loc.street_line(rng, rng.choice(loc.streets)),
            city=place.city,
            region=place.region,
            postal_code=loc.postal_code(rng, place),
            country=loc.region,
            lat=round(place.lat + rng.uniform(-spread, spread), 6),
            lng=round(place.lng + rng.uniform(-spread, spread), 6),
        )

    def create(self) -> ClientCreate:
        """The body of one `POST /clients`."""
        rng, loc = self.rng, self.locale
        is_company = rng.random() < loc.company_share
        place = self.place()
        if is_company:
            name = self.company()
            legal_name: str | None = f"{name} {rng.choice(loc.company_suffixes)}"
            notes: str | None = f"Contacto: {self.person()}. {rng.choice(loc.notes)}"
        else:
            name = self.person()
            legal_name = None
            notes = rng.choice(loc.notes) if rng.random() < 0.4 else None
        type_ = rng.choices(_TYPES, weights=_TYPE_WEIGHTS)[0]
        stages, weights = _PIPELINE[type_]
        return ClientCreate(
            name=name,
            legal_name=legal_name,
            email=self.email(name, is_company) if rng.random() < 0.85 else None,
            phone=self.phone(place) if rng.random() < 0.85 else None,
            address=self.address(place) if rng.random() < 0.8 else None,
            type=type_,
            kind=rng.choices(_KINDS, weights=_KIND_WEIGHTS)[0],
            stage=rng.choices(stages, weights=weights)[0],
            source=self._source(rng.choices(_SOURCES, weights=_SOURCE_WEIGHTS)[0]),
            notes=notes,
            stars=self._stars(type_),
            custom=loc.custom(rng, is_company) if rng.random() < 0.6 else None,
        )

    def _source(self, source: str | None) -> str | None:
        """The tenant's custom source stands in for "other" (no extra random draw, so the
        rest of the demo stays as it was)."""
        custom = self.tenant.source
        return custom.key if source == "other" and custom is not None else source

    def _stars(self, type_: ClientType) -> int:
        if type_ is ClientType.VIP:
            return self.rng.randint(2, 3)
        if type_ is ClientType.CLIENT:
            return self.rng.randint(0, 2)
        return self.rng.choice((0, 0, 0, 1))


@dataclass(frozen=True)
class Shares:
    """How much history: the volume that `make run` spends its seeding time on."""

    converted: float = 0.25  # of today's clients: came in as a lead or prospect
    promoted: float = 0.4  # of today's VIPs: promoted from client
    students: float = 0.2  # of the school's private clients: linked to a student record
    tagged: float = 1 / 3  # of all clients: one to three tags
    with_activities: float = 0.55  # of all clients: one or two past activities
    followed_up: float = 0.15  # of the activities done: a follow-up task
    scheduled: float = 0.08  # of the open clients: an activity in the coming weeks
    noted: float = 0.12  # of all clients: a note or two
    old_task: float = 0.03  # of all clients: a task of long ago, completed


_SHARE = Shares()


class Planner:
    """Plans one tenant: its clients, oldest first, created over the last year, and a year of
    work around them — pipeline moves, activities, notes, tags, tasks. Pure: no I/O."""

    def __init__(self, tenant: DemoTenant, now: datetime) -> None:
        self.tenant = tenant
        self.story = tenant.story
        self.rng = random.Random(f"{SEED}:{tenant.tenant_id}")
        self.now = now
        self.last = now - timedelta(minutes=1)  # the latest a past write happens
        self.zone = tenant.zone
        self.today = now.astimezone(self.zone).date()
        self.manager = tenant.user(Role.MANAGER)
        self.keys = itertools.count(1)
        self.student_seq = 0

    def plan(self, count: int) -> list[PlannedClient]:
        rng = self.rng
        factory = ClientFactory(self.tenant, rng)
        dates = sorted(self.now - timedelta(days=rng.uniform(0.1, 365)) for _ in range(count))
        planned = []
        for created_at in dates:
            owner = rng.choices(self.tenant.users, weights=_OWNER_WEIGHTS)[0]
            data = factory.create()
            client = PlannedClient(owner, data, created_at, final=data)
            self._pipeline(client)
            self._history(client)
            planned.append(client)
        for client in rng.sample(planned, round(len(planned) * _SHARE.tagged)):
            self._tag(client)
        for user in self.tenant.users:
            self._workload(user, [c for c in planned if c.owner == user and c.open])
        return planned

    # --- time ------------------------------------------------------------------------------

    def _between(self, lo: datetime, hi: datetime) -> datetime:
        share = self.rng.random()  # drawn always: what follows never depends on the hour
        return lo + (hi - lo) * share if hi > lo else lo

    def _work(self, lo: datetime, hi: datetime) -> datetime:
        """A moment in [lo, hi], in office hours if that day has some in the range."""
        return self._office(self._between(lo, hi), lo, hi)

    def _later(self, at: datetime) -> datetime:
        """Some days after `at`, never in the future."""
        return min(at + timedelta(days=self.rng.uniform(0.5, 60)), self.last)

    def _local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)

    def _office(
        self, at: datetime, lo: datetime | None = None, hi: datetime | None = None
    ) -> datetime:
        """`at` moved to office hours of its local day (unless that leaves [lo, hi]); in the
        tenant's time zone, as a user's browser would send it."""
        rng = self.rng
        moved = self._local(
            at.astimezone(self.zone).date(), rng.randint(9, 19), rng.choice((0, 15, 30, 45))
        )
        if (lo is not None and moved < lo) or (hi is not None and moved > hi):
            return at.astimezone(self.zone)
        return moved

    def _due_instant(self, due: date) -> datetime:
        if isinstance(due, datetime):
            return due
        return self._local(due + timedelta(days=1), 0) - timedelta(microseconds=1)

    def _step(
        self,
        client: PlannedClient,
        at: datetime,
        act: Act,
        body: Any = None,
        who: DemoUser | None = None,
        key: str | None = None,
        target: str | None = None,
    ) -> None:
        """A step as the client's responsible (or `who`), its clock in UTC like the API's."""
        client.add(Step(at.astimezone(UTC), who or client.owner, act, body, key, target))

    def _key(self) -> str:
        return f"k{next(self.keys)}"

    # --- the client's way through the pipeline ------------------------------------------------

    def _reason(self, stage: str) -> StageChange:
        return StageChange(stage=stage, reason=self.rng.choice(self.story.reasons[stage]))

    def _pipeline(self, client: PlannedClient) -> None:
        """Created earlier in the pipeline than it is now: stage changes with their reasons,
        conversions, VIP promotions, linked students, deactivation."""
        rng, final = self.rng, client.final
        at = client.created_at
        old_enough = self.now - at > timedelta(days=3)
        if final.stage in ("visiting", "negotiation") and rng.random() < 0.5:
            at = self._later(at)
            self._step(client, at, Act.STAGE, self._reason(final.stage))
            client.data = final.model_copy(update={"stage": "prospect"})
        elif final.stage == "lost" and rng.random() < 0.7:
            at = self._later(at)
            self._step(client, at, Act.STAGE, self._reason("lost"))
            first = "contact" if final.type is ClientType.LEAD else "prospect"
            client.data = final.model_copy(update={"stage": first})
        elif final.type is ClientType.CLIENT and old_enough and rng.random() < _SHARE.converted:
            # came in as a lead or a prospect, was won and converted
            lead = rng.random() < 0.3
            client.data = final.model_copy(
                update={
                    "type": ClientType.LEAD if lead else ClientType.PROSPECT,
                    "stage": "prospect" if lead else "negotiation",
                }
            )
            at = self._later(at)
            self._step(client, at, Act.STAGE, self._reason("won"))
            at = min(at + timedelta(minutes=rng.randint(2, 40)), self.last)
            self._step(client, at, Act.CONVERT)
        elif final.type is ClientType.VIP and old_enough and rng.random() < _SHARE.promoted:
            client.data = final.model_copy(update={"type": ClientType.CLIENT})
            at = self._later(at)
            self._step(client, at, Act.PROMOTE_VIP)
        if (
            self.tenant.students
            and final.type in (ClientType.CLIENT, ClientType.VIP)
            and not final.legal_name
            and rng.random() < _SHARE.students
        ):
            at = min(at + timedelta(hours=rng.uniform(1, 72)), self.last)
            self.student_seq += rng.randint(1, 5)
            student = f"ALU-{at.astimezone(self.zone).year}-{self.student_seq:04d}"
            self._step(client, at, Act.LINK_STUDENT, StudentLink(student_id=student))
        if rng.random() < (0.3 if final.stage == "lost" else 0.05):
            client.deactivated_at = self._later(at)
            self._step(client, client.deactivated_at, Act.DEACTIVATE)

    # --- what happened around it --------------------------------------------------------------

    def _history(self, client: PlannedClient) -> None:
        """Activities (most clients), notes (some), an old completed task (a few)."""
        rng = self.rng
        start = client.created_at + timedelta(minutes=5)
        end = client.deactivated_at or self.last
        if end <= start:
            return
        span = end - start
        if rng.random() < _SHARE.with_activities:
            count = rng.choices((1, 2), weights=(3, 1))[0]
            for at in sorted(self._between(start, end) for _ in range(count)):
                self._activity(client, self._office(at, start, end), end)
        if client.open and rng.random() < _SHARE.scheduled:
            self._scheduled(client)
        if rng.random() < _SHARE.noted:
            for _ in range(rng.choice((1, 1, 1, 2))):
                self._note(client, self._work(start, end))
        if span > timedelta(days=5) and rng.random() < _SHARE.old_task:
            created = self._work(start, end - timedelta(days=4))
            due = created.astimezone(self.zone).date() + timedelta(days=rng.randint(1, 4))
            done = min(created + timedelta(hours=rng.uniform(2, 96)), end)
            self._task(client, due, created, done)

    def _tag(self, client: PlannedClient) -> None:
        """One to three tags of the catalogue, set in its first days (a third of the clients)."""
        start = client.created_at + timedelta(minutes=2)
        end = min(start + timedelta(days=3), client.deactivated_at or self.last)
        if end > start:
            self._step(client, self._work(start, end), Act.TAGS, self._tags(client))

    def _tags(self, client: PlannedClient) -> tuple[str, ...]:
        rng = self.rng
        catalogue = [name for name, _ in self.story.tags]
        hints = [t for t in self.tenant.tag_hints(client.final) if t in catalogue]
        rng.shuffle(hints)
        count = rng.choices((1, 2, 3), weights=(5, 3, 1))[0]
        others = [t for t in catalogue if t not in hints]
        others = rng.sample(others, min(count, len(others)))
        return tuple((hints + others)[:count])

    def _activity(self, client: PlannedClient, at: datetime, end: datetime) -> None:
        """A past activity (done, some cancelled, a few private), some with a follow-up."""
        rng, story = self.rng, self.story
        roll, private = rng.random(), False
        if roll < 0.04:
            type_, status, private = rng.choice(("call", "meeting")), ActivityStatus.DONE, True
            notes, result = rng.choice(story.private)
        elif roll < 0.11:
            type_, status = rng.choice(("call", "meeting")), ActivityStatus.CANCELLED
            notes, result = rng.choice(story.cancelled)
        else:
            weights = story.activity_weights
            type_ = rng.choices(list(weights), weights=list(weights.values()))[0]
            status = ActivityStatus.DONE
            notes, result = rng.choice(story.done[type_])
        follow_up, key, done = None, None, None
        if status is ActivityStatus.DONE and rng.random() < _SHARE.followed_up:
            # every draw made whatever the outcome: the rest never depends on the hour
            due = self._office(at + timedelta(days=rng.randint(2, 7)))
            roll, shift = rng.random(), timedelta(hours=rng.uniform(-20, 30))
            lo = at + timedelta(minutes=30)
            done = self._office(min(max(due + shift, lo), end), lo, end)
            if client.deactivated_at is None or due < end - timedelta(hours=2):
                follow_up, key = due, self._key()
                # followed up (a day early or late), or still pending: overdue (a few long
                # forgotten) or coming
                age = self.now - due
                if client.deactivated_at is None and (
                    age < timedelta(days=1) or roll >= (0.95 if age.days > 21 else 0.6)
                ):
                    done = None
            else:
                done = None
        body = ActivityCreate(
            type=ActivityType(type_),
            at=at,
            notes=notes,
            status=status,
            result=result,
            private=private,
            follow_up_at=follow_up,
        )
        self._step(client, at, Act.ACTIVITY, body, key=key)
        if done is not None:
            self._step(client, done, Act.COMPLETE, target=key)

    def _scheduled(self, client: PlannedClient, within_days: float = 21) -> None:
        """An activity planned for the coming weeks, planned some days ago."""
        rng = self.rng
        at = self._office(self.now + timedelta(days=rng.uniform(0.3, within_days)))
        if at <= self.now + timedelta(minutes=30):
            at += timedelta(days=1)
        type_ = rng.choice(list(self.story.scheduled))
        body = ActivityCreate(
            type=ActivityType(type_),
            at=at,
            notes=rng.choice(self.story.scheduled[type_]),
            status=ActivityStatus.SCHEDULED,
            private=rng.random() < 0.05,
        )
        start = max(client.created_at + timedelta(minutes=5), self.now - timedelta(days=10))
        self._step(client, self._work(start, self.last), Act.ACTIVITY, body)

    def _note(self, client: PlannedClient, at: datetime) -> None:
        if self.rng.random() < 0.15 and client.owner.role is Role.SALES:
            text = self.rng.choice(self.story.manager_notes)
            self._step(client, at, Act.NOTE, NoteCreate(text=text), who=self.manager)
        else:
            text = self.rng.choice(self.story.notes)
            self._step(client, at, Act.NOTE, NoteCreate(text=text))

    def _task(
        self, client: PlannedClient, due: date, created: datetime, done: datetime | None = None
    ) -> None:
        """A task due `due` (a datetime: `due_at`; a date: `due_date`), completed at `done`."""
        rng = self.rng
        timed = isinstance(due, datetime)
        reminders = rng.choices(
            ([], ["P1D"], ["PT1H"], ["P1D", "PT1H"]), weights=(60, 25, 8 if timed else 0, 7)
        )[0]
        color = rng.choice(_TASK_COLORS) if rng.random() < 0.2 else None
        body = TaskCreate(
            description=rng.choice(self.story.tasks),
            due_at=due if timed else None,
            due_date=None if timed else due,
            color=color,
            reminders=reminders,
        )
        key = self._key()
        self._step(client, created, Act.TASK, body, key=key)
        if done is not None:
            self._step(client, max(done, created + timedelta(minutes=10)), Act.COMPLETE, target=key)

    # --- every user's follow-ups panel and bell ------------------------------------------------

    def _workload(self, user: DemoUser, clients: list[PlannedClient]) -> None:
        """Tasks overdue, due today, this week, next week and later (local days of the
        tenant), some completed, and activities scheduled in the next two weeks."""
        if not clients:
            return
        rng = self.rng
        sales = user.role is Role.SALES
        for due in self._deadlines(sales):
            client = rng.choice(clients)
            self._task(client, due, self._created_before(client, due))
        for _ in range(3 if sales else 1):
            client = rng.choice(clients)
            due = self._maybe_timed(self.today - timedelta(days=rng.randint(1, 25)))
            created = self._created_before(client, due)
            limit = min(self._due_instant(due) + timedelta(days=1), self.last)
            self._task(client, due, created, self._work(created, limit))
        for _ in range(3 if sales else 1):
            self._scheduled(rng.choice(clients), within_days=14)

    def _maybe_timed(self, day: date) -> date:
        """The day (a date-only task) or a time of that day (`due_at`)."""
        if self.rng.random() < 0.5:
            return day
        return self._local(day, self.rng.choice((9, 10, 12, 16, 18)), self.rng.choice((0, 30)))

    def _deadlines(self, sales: bool) -> list[date]:
        rng, today = self.rng, self.today
        overdue: list[date] = [
            self._local(today - timedelta(days=days), rng.choice((10, 12, 16)), 30)
            for days in rng.sample(range(1, 12), 2)
        ]
        overdue.append(today - timedelta(days=rng.randint(2, 6)))  # a day that is over
        evening = self._local(today, 19, 30)
        due_today: list[date] = [today, evening if evening > self.now else today]
        monday = today - timedelta(days=today.weekday())
        soon = [today + timedelta(days=n) for n in rng.sample(range(1, 7), 2)]  # this week,
        # or next week when this one is about to end
        next_week = [monday + timedelta(days=7 + rng.randint(0, 4)) for _ in range(2)]
        later = [today + timedelta(days=rng.randint(15, 30))]
        coming = [self._maybe_timed(day) for day in (*soon, *next_week, *later)]
        if not sales:
            return [overdue[0], due_today[0], coming[2]]
        return [*overdue, *due_today, *coming]

    def _created_before(self, client: PlannedClient, due: date) -> datetime:
        """Some days before it falls due (not before the client existed, not in the future)."""
        first = client.created_at + timedelta(minutes=5)
        latest = min(self._due_instant(due) - timedelta(hours=2), self.last)
        lo = min(max(first, latest - timedelta(days=10)), self.last)
        return self._work(lo, max(latest, lo))


_TASK_COLORS = ("#e53935", "#fb8c00", "#43a047", "#1e88e5")
_LIFECYCLE = {Act.STAGE, Act.CONVERT, Act.PROMOTE_VIP, Act.LINK_STUDENT, Act.DEACTIVATE}


def plan_tenant(tenant: DemoTenant, count: int, now: datetime) -> list[PlannedClient]:
    """`count` clients of `tenant` and their year of history, relative to `now`."""
    return Planner(tenant, now).plan(count)


# --- writing (through the services, as the API does) -----------------------------------------


def _fixed_clock(at: datetime) -> Callable[[], datetime]:
    return lambda: at


class Seeder:
    """Writes the demo tenants through TenantService, ClientService and RelationsService."""

    def __init__(self) -> None:
        from chalicelib.adapters.clients_repo import DynamoClientRepository
        from chalicelib.adapters.groups_repo import DynamoGroupRepository
        from chalicelib.adapters.relations_repo import DynamoRelationsRepository
        from chalicelib.adapters.tenants_repo import DynamoTenantRepository
        from chalicelib.services.catalogs import CatalogService
        from chalicelib.services.groups import GroupService
        from chalicelib.services.tenants import TenantService

        class NewClientsRepository(DynamoRelationsRepository):
            """A client the seeder tags was created moments before and has no tags yet:
            that is not asked of the table. (The embedded AWS answers every Query by sorting
            the whole table, 50-250 ms per tagged client as the demo grows.) The service
            does the rest as for the API."""

            def get_client_tags(self, tenant: str, client_id: str) -> list[Tag]:
                return []

        self.client_repo = DynamoClientRepository()
        self.relations_repo = NewClientsRepository()
        self.tenant_repo = DynamoTenantRepository()
        from chalicelib.api.deps import reminder_service

        self.tenants = TenantService(  # users get their morning digest planned, as via the API
            self.tenant_repo, on_user_change=lambda t, u: reminder_service().sync_user(t, u)
        )
        self.catalogs = CatalogService(self.tenant_repo)
        self.groups = GroupService(DynamoGroupRepository(), self.client_repo)
        self.group_of: dict[str, str] = {}  # tenant → its demo client group

    def _clients(self, at: datetime) -> ClientService:
        """The service with its clock stopped at `at`: the demo history spans a year."""
        from chalicelib.services.clients import ClientService

        return ClientService(self.client_repo, clock=_fixed_clock(at))

    def _relations(self, at: datetime) -> RelationsService:
        from chalicelib.services.relations import RelationsService

        zone = self.tenant_repo.settings.default_timezone
        return RelationsService(self.relations_repo, zone, clock=_fixed_clock(at))

    def tenant(self, tenant: DemoTenant) -> dict[str, str]:
        """Settings and the user directory as the admin; the tag catalogue as the admin and
        the manager. Returns the tag ids by name."""
        admin = tenant.users[0].principal()
        self.tenants.update_settings(admin, tenant.settings)
        for definition in tenant.custom_fields:
            self.catalogs.create_custom_field(admin, definition)
        if tenant.source is not None:
            self.catalogs.create_source(admin, tenant.source)
        for user in tenant.users:
            upsert = UserUpsert(
                name=user.name,
                email=user.email,
                role=user.role,
                language=tenant.settings.language,
                timezone=tenant.settings.timezone,
            )
            self.tenants.put_user(admin, user.user_id, upsert)
        # A client group: the second salesperson also sees the clients put in it.
        sales = [u for u in tenant.users if u.role is Role.SALES]
        name = "Zona Norte" if tenant.settings.language == "es" else "North"
        group = self.groups.create(admin, GroupCreate(name=name, user_ids=[sales[-1].user_id]))
        self.group_of[tenant.tenant_id] = group.id
        editors = (admin, tenant.user(Role.MANAGER).principal())
        relations = self._relations(datetime.now(UTC))
        return {
            name: relations.create_tag(editors[n % 2], TagCreate(name=name, color=color)).id
            for n, (name, color) in enumerate(tenant.story.tags)
        }

    def client(self, planned: PlannedClient, tags: dict[str, str]) -> str:
        """Create it as its responsible, then its steps in the order they happened."""
        owner = planned.owner.principal()
        client_id = self._clients(planned.created_at).create(owner, planned.data).id
        tasks: dict[str, str] = {}  # step key → task id
        for step in planned.ordered_steps():
            self._step(client_id, step, tasks, tags)
        return client_id

    def _step(
        self, client_id: str, step: Step, tasks: dict[str, str], tags: dict[str, str]
    ) -> None:
        if step.act in _LIFECYCLE:
            self._lifecycle_step(client_id, step)
            return
        who, body, relations = step.who.principal(), step.body, self._relations(step.at)
        match step.act:
            case Act.TAGS:
                ids = [tags[name] for name in body]
                relations.set_client_tags(who, client_id, ClientTags(tag_ids=ids))
            case Act.ACTIVITY:
                follow_up = relations.create_activity(who, client_id, body).follow_up_task_id
                if step.key is not None and follow_up is not None:
                    tasks[step.key] = follow_up
            case Act.NOTE:
                relations.create_note(who, client_id, body)
            case Act.TASK:
                tasks[step.key or ""] = relations.create_task(who, client_id, body).id
            case Act.COMPLETE:
                relations.complete_task(who, tasks[step.target or ""])

    def _lifecycle_step(self, client_id: str, step: Step) -> None:
        who, body, clients = step.who.principal(), step.body, self._clients(step.at)
        match step.act:
            case Act.STAGE:
                clients.change_stage(who, client_id, body.stage, body.reason)
            case Act.CONVERT:
                clients.convert(who, client_id)
            case Act.PROMOTE_VIP:
                clients.promote_vip(who, client_id)
            case Act.LINK_STUDENT:
                clients.link_student(who, client_id, body.student_id)
            case Act.DEACTIVATE:
                clients.set_status(who, client_id, ClientStatus.INACTIVE)

    def seed(self, tenant: DemoTenant, count: int, now: datetime) -> TenantReport:
        tags = self.tenant(tenant)
        plan = plan_tenant(tenant, count, now)
        for n, planned in enumerate(plan):  # one by one: the client-number sequence never contends
            client_id = self.client(planned, tags)
            if n % 8 == 3 and planned.owner.user_id != tenant.users[-1].user_id:
                self._into_group(tenant, client_id)
        return TenantReport.of(tenant, plan)

    def _into_group(self, tenant: DemoTenant, client_id: str) -> None:
        """One client in eight joins the demo group, put there by the manager."""
        manager = tenant.user(Role.MANAGER).principal()
        group = ClientUpdate(group_id=self.group_of[tenant.tenant_id])
        self._clients(datetime.now(UTC)).update(manager, client_id, group)


@dataclass(frozen=True)
class TenantReport:
    """What one demo tenant holds, for the banner."""

    tenant: str
    clients: int
    counts: dict[str, int]

    @classmethod
    def of(cls, tenant: DemoTenant, plan: list[PlannedClient]) -> TenantReport:
        steps = [s for c in plan for s in c.steps]
        acts = Counter(s.act for s in steps)
        scheduled = sum(
            s.act is Act.ACTIVITY and s.body.status is ActivityStatus.SCHEDULED for s in steps
        )
        follow_ups = sum(s.act is Act.ACTIVITY and s.body.follow_up_at is not None for s in steps)
        counts = {
            "tags": len(tenant.story.tags),
            "tagged clients": acts[Act.TAGS],
            "activities": acts[Act.ACTIVITY],
            "scheduled": scheduled,
            "tasks": acts[Act.TASK] + follow_ups,
            "completed": acts[Act.COMPLETE],
            "notes": acts[Act.NOTE],
            "stage changes": acts[Act.STAGE],
            "conversions": acts[Act.CONVERT],
            "VIP promotions": acts[Act.PROMOTE_VIP],
            "students": acts[Act.LINK_STUDENT],
        }
        return cls(tenant.tenant_id, len(plan), counts)

    def line(self) -> str:
        shown = ", ".join(f"{n} {what}" for what, n in self.counts.items() if n)
        return f"{self.tenant}: {self.clients} clients, {shown}"


@dataclass(frozen=True)
class SeedReport:
    users: list[DemoUser]
    tenants: list[TenantReport]
    seconds: float

    @property
    def clients(self) -> int:
        return sum(t.clients for t in self.tenants)


def seed_demo(count: int = CLIENTS_PER_TENANT) -> SeedReport:
    """Both demo tenants, side by side (one thread each). Returns the demo users."""
    started = time.perf_counter()
    seeder = Seeder()
    now = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=len(TENANTS)) as pool:
        reports = list(pool.map(lambda t: seeder.seed(t, count, now), TENANTS))
    return SeedReport(demo_users(), reports, time.perf_counter() - started)

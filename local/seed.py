"""Demo data for the local stack: two tenants, their users and about 200 clients each.

Everything is written through the service layer, exactly as the API writes it: duplicate
guards, client numbers, statistics counters and timeline events included. The content is
deterministic (a fixed random seed); the dates are relative to today, spread over the last
year, so the newest-first listings and the monthly counters look like a real year of work.

The environment must point at the embedded AWS before `seed_demo()` is called (local.stack
does that).
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import phonenumbers

from chalicelib.domain.clients import (
    Address,
    ClientCreate,
    ClientKind,
    ClientStatus,
    ClientType,
    ClientUpdate,
)
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.tenants import Language, SettingsUpdate, UserUpsert
from local import demo_data as d
from local.demo_data import Place

if TYPE_CHECKING:
    from chalicelib.services.clients import ClientService

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
)

TENANTS = (SCHOOL, FIELDSVC)


def demo_users() -> list[DemoUser]:
    return [user for tenant in TENANTS for user in tenant.users]


# --- planning the clients (pure: no I/O) ---------------------------------------------------


@dataclass(frozen=True)
class PlannedClient:
    owner: DemoUser
    data: ClientCreate
    created_at: datetime
    stage_change: tuple[datetime, str] | None = None  # moved along the pipeline later
    deactivated_at: datetime | None = None


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
            source=rng.choices(_SOURCES, weights=_SOURCE_WEIGHTS)[0],
            notes=notes,
            stars=self._stars(type_),
            custom=loc.custom(rng, is_company) if rng.random() < 0.6 else None,
        )

    def _stars(self, type_: ClientType) -> int:
        if type_ is ClientType.VIP:
            return self.rng.randint(2, 3)
        if type_ is ClientType.CLIENT:
            return self.rng.randint(0, 2)
        return self.rng.choice((0, 0, 0, 1))


def _later(rng: random.Random, at: datetime, now: datetime) -> datetime:
    """Some days after `at`, never in the future."""
    return min(at + timedelta(days=rng.uniform(0.5, 60)), now - timedelta(minutes=1))


def plan_clients(tenant: DemoTenant, count: int, now: datetime) -> list[PlannedClient]:
    """`count` clients, oldest first, created over the last year by the tenant's users."""
    rng = random.Random(f"{SEED}:{tenant.tenant_id}")
    factory = ClientFactory(tenant, rng)
    dates = sorted(now - timedelta(days=rng.uniform(0.1, 365)) for _ in range(count))
    planned = []
    for created_at in dates:
        owner = rng.choices(tenant.users, weights=_OWNER_WEIGHTS)[0]
        data = factory.create()
        stage_change = None
        if data.stage in ("visiting", "negotiation") and rng.random() < 0.5:
            # Created as a prospect, moved along the pipeline later: a timeline with history.
            stage_change = (_later(rng, created_at, now), data.stage)
            data = data.model_copy(update={"stage": "prospect"})
        inactive = rng.random() < (0.3 if data.stage == "lost" else 0.05)
        deactivated_at = _later(rng, stage_change[0] if stage_change else created_at, now)
        planned.append(
            PlannedClient(
                owner, data, created_at, stage_change, deactivated_at if inactive else None
            )
        )
    return planned


# --- writing (through the services, as the API does) -----------------------------------------


def _fixed_clock(at: datetime) -> Callable[[], datetime]:
    return lambda: at


class Seeder:
    """Writes the demo tenants through ClientService and TenantService."""

    def __init__(self) -> None:
        from chalicelib.adapters.clients_repo import DynamoClientRepository
        from chalicelib.adapters.tenants_repo import DynamoTenantRepository
        from chalicelib.services.tenants import TenantService

        self.client_repo = DynamoClientRepository()
        self.tenants = TenantService(DynamoTenantRepository())

    def _clients(self, at: datetime) -> ClientService:
        """The service with its clock stopped at `at`: the demo history spans a year."""
        from chalicelib.services.clients import ClientService

        return ClientService(self.client_repo, clock=_fixed_clock(at))

    def tenant(self, tenant: DemoTenant) -> None:
        """Settings and the user directory, as the tenant's admin."""
        admin = tenant.users[0].principal()
        self.tenants.update_settings(admin, tenant.settings)
        for user in tenant.users:
            upsert = UserUpsert(
                name=user.name,
                email=user.email,
                role=user.role,
                language=tenant.settings.language,
                timezone=tenant.settings.timezone,
            )
            self.tenants.put_user(admin, user.user_id, upsert)

    def client(self, planned: PlannedClient) -> None:
        """Create as the owner; later pipeline moves and deactivation as the owner too."""
        owner = planned.owner.principal()
        client = self._clients(planned.created_at).create(owner, planned.data)
        if planned.stage_change is not None:
            at, stage = planned.stage_change
            self._clients(at).update(owner, client.id, ClientUpdate(stage=stage))
        if planned.deactivated_at is not None:
            service = self._clients(planned.deactivated_at)
            service.set_status(owner, client.id, ClientStatus.INACTIVE)

    def seed(self, tenant: DemoTenant, count: int, now: datetime) -> int:
        self.tenant(tenant)
        plan = plan_clients(tenant, count, now)
        for planned in plan:  # one after another: the client-number sequence never contends
            self.client(planned)
        return len(plan)


@dataclass(frozen=True)
class SeedReport:
    users: list[DemoUser]
    clients: int
    seconds: float


def seed_demo(count: int = CLIENTS_PER_TENANT) -> SeedReport:
    """Both demo tenants, side by side (one thread each). Returns the demo users."""
    started = time.perf_counter()
    seeder = Seeder()
    now = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=len(TENANTS)) as pool:
        counts = list(pool.map(lambda t: seeder.seed(t, count, now), TENANTS))
    return SeedReport(demo_users(), sum(counts), time.perf_counter() - started)

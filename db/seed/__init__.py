"""Montreal demo data: a deterministic generator of providers and their accounts.

``load(conn, providers=N)`` creates N providers spread over real Montreal
neighbourhoods (centre plus Gaussian jitter), each with its owner account, one to
three services in a plausible category at plausible CAD prices, weekly hours in
America/Toronto and a rating. The same ``seed`` and ``providers`` always produce
the same rows (ids included). Rows are streamed with COPY, chunk by chunk, in
one transaction: 100k providers load in well under a minute, and sizes up to
1,000,000 run in bounded memory.

Every generated account, and the three demo accounts, share one password,
``bookiji-demo-2026`` (its bcrypt hash is precomputed below, so seeding never
pays for bcrypt).

``load_activity(conn, providers, seed=...)`` gives a loaded set its next two
weeks: seeded customers, time off for a few percent of the providers, and
bookings (most confirmed and paid, a few cancelled) filling roughly a third of
the working time, more of it in the popular hours. It is set-based SQL (one
``insert ... select`` per table and chunk of providers), deterministic for a
seed and a start date, and consistent with ``internal.check_invariants()``.

``ensure_demo(settings)`` loads the 200-provider demo set once and makes sure
the demo accounts exist: demo.customer@bookiji.test (customer),
demo.provider@bookiji.test (provider, owner of one of the demo providers) and
demo.ops@bookiji.test (ops).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from bookiji.config import Settings
from worker.errors import ConfigError

# Public by design: the documented password of every demo and generated account.
DEMO_PASSWORD = "bookiji-demo-2026"  # noqa: S105
# extensions.crypt('bookiji-demo-2026', extensions.gen_salt('bf', 10)), computed once.
PASSWORD_HASH = "$2a$10$bq263uc/3pGWvd0W9wjOI.Rg0vE/XoUvRRqYsl7K3rU0qVTMrReZe"  # noqa: S105

DEMO_CUSTOMER = "demo.customer@bookiji.test"
DEMO_PROVIDER = "demo.provider@bookiji.test"
DEMO_OPS = "demo.ops@bookiji.test"
DEMO_PROVIDERS = 200
DEMO_SEED = 2026
DEMO_TAG = "demo"

TIME_ZONE = "America/Toronto"
CHUNK = 10_000
CONFIRMED_AT = datetime(2026, 1, 1, tzinfo=UTC)

# (name, latitude, longitude, weight): neighbourhood centres.
NEIGHBOURHOODS: tuple[tuple[str, float, float, int], ...] = (
    ("Plateau-Mont-Royal", 45.5225, -73.5810, 14),
    ("Mile End", 45.5245, -73.5990, 9),
    ("Rosemont", 45.5440, -73.5800, 8),
    ("Petite-Patrie", 45.5340, -73.6060, 6),
    ("Villeray", 45.5440, -73.6230, 7),
    ("Hochelaga", 45.5440, -73.5400, 6),
    ("Verdun", 45.4590, -73.5710, 7),
    ("Saint-Henri", 45.4770, -73.5860, 6),
    ("Griffintown", 45.4920, -73.5600, 5),
    ("Old Montreal", 45.5075, -73.5545, 5),
    ("Downtown", 45.5017, -73.5700, 12),
    ("Côte-des-Neiges", 45.4960, -73.6240, 7),
    ("Notre-Dame-de-Grâce", 45.4730, -73.6150, 7),
    ("Outremont", 45.5190, -73.6080, 4),
    ("Westmount", 45.4850, -73.5980, 4),
    ("Ahuntsic", 45.5560, -73.6600, 5),
    ("Little Burgundy", 45.4870, -73.5730, 3),
    ("Centre-Sud", 45.5190, -73.5540, 4),
)

# Service templates: (name, duration minutes, base price in dollars).
Template = tuple[str, int, int]


@dataclass(frozen=True)
class Category:
    id: int
    slug: str
    weight: int
    nouns: tuple[str, ...]
    templates: tuple[Template, ...]


CATEGORIES: tuple[Category, ...] = (
    Category(
        1,
        "haircut",
        20,
        ("Salon", "Coiffure", "Studio coiffure", "Hair Studio"),
        (
            ("Women's cut", 60, 65),
            ("Men's cut", 30, 35),
            ("Colour", 120, 140),
            ("Blow-dry", 45, 45),
        ),
    ),
    Category(
        2,
        "barber",
        10,
        ("Barbershop", "Barbier", "Barber Co."),
        (("Classic cut", 30, 30), ("Cut and beard", 45, 45), ("Hot towel shave", 30, 35)),
    ),
    Category(
        3,
        "massage",
        12,
        ("Massothérapie", "Spa", "Massage Clinic"),
        (("Swedish massage", 60, 95), ("Deep tissue", 60, 110), ("Relaxation", 90, 130)),
    ),
    Category(
        4,
        "nails",
        9,
        ("Ongles", "Nail Bar", "Manucure"),
        (("Manicure", 45, 40), ("Pedicure", 60, 55), ("Gel nails", 75, 65)),
    ),
    Category(
        5,
        "esthetics",
        7,
        ("Esthétique", "Skin Studio", "Institut"),
        (("Facial", 60, 90), ("Waxing", 30, 35), ("Eyebrow shaping", 20, 25)),
    ),
    Category(
        6,
        "physiotherapy",
        6,
        ("Physio", "Clinique", "Physiothérapie"),
        (("Assessment", 60, 110), ("Follow-up", 45, 85)),
    ),
    Category(
        7,
        "personal-training",
        7,
        ("Fitness", "Coaching", "Training"),
        (("Personal session", 60, 75), ("Duo session", 60, 100)),
    ),
    Category(
        8,
        "yoga",
        5,
        ("Yoga", "Studio", "Ashram"),
        (("Private class", 60, 80), ("Prenatal yoga", 60, 85)),
    ),
    Category(
        9,
        "dog-grooming",
        5,
        ("Toilettage", "Dog Spa", "Grooming"),
        (("Small dog groom", 60, 60), ("Large dog groom", 90, 95), ("Nail trim", 15, 20)),
    ),
    Category(
        10,
        "house-cleaning",
        6,
        ("Ménage", "Cleaning", "Entretien"),
        (("Apartment cleaning", 120, 120), ("Deep cleaning", 240, 260)),
    ),
    Category(
        11,
        "tutoring",
        5,
        ("Tutorat", "Academy", "Learning"),
        (("Math tutoring", 60, 50), ("French lessons", 60, 45), ("Exam prep", 90, 75)),
    ),
    Category(
        12,
        "photography",
        3,
        ("Photo", "Studio photo", "Portraits"),
        (("Headshot session", 60, 150), ("Family portraits", 90, 250)),
    ),
    Category(
        13,
        "bike-repair",
        3,
        ("Vélo", "Bike Shop", "Cycles"),
        (("Tune-up", 60, 70), ("Flat repair", 20, 20)),
    ),
    Category(
        14,
        "tattoo",
        2,
        ("Tattoo", "Tatouage", "Ink"),
        (("Small tattoo", 60, 150), ("Consultation", 30, 0)),
    ),
)

NAME_STEMS = (
    "Mont-Royal",
    "Lumière",
    "Boréal",
    "Saint-Laurent",
    "Érable",
    "Papineau",
    "Fleuve",
    "Bleu",
    "Nova",
    "Laurier",
    "Rachel",
    "Fabre",
    "Jarry",
    "Atwater",
    "Beaubien",
    "Marquette",
    "Le Petit",
    "Maison",
    "Atelier",
    "Belle",
    "Zen",
    "Urbain",
    "Nord",
    "Sud",
    "Plaza",
    "Octave",
    "Clark",
    "Cartier",
    "Sherbrooke",
    "Wellington",
    "Monk",
    "Ontario",
    "Masson",
    "Bernard",
)
FIRST_NAMES = (
    "Amélie",
    "Camille",
    "Chloé",
    "Élodie",
    "Gabrielle",
    "Léa",
    "Marie",
    "Noémie",
    "Sophie",
    "Zoé",
    "Alexandre",
    "Antoine",
    "Félix",
    "Gabriel",
    "Jérôme",
    "Louis",
    "Mathieu",
    "Nicolas",
    "Olivier",
    "Samuel",
    "Priya",
    "Wei",
    "Fatima",
    "Mohamed",
    "Sofia",
    "Carlos",
    "Aisha",
    "Daniel",
)
LAST_NAMES = (
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Nguyen",
    "Chen",
    "Haddad",
    "Singh",
    "Silva",
    "Smith",
    "Cohen",
    "Rossi",
    "Diallo",
)

# Weekly hours patterns: (day_of_week (0 = Sunday), start, end). Every pattern
# is open on Wednesday from 12:00 to 16:00, so a midweek afternoon quote finds
# candidates everywhere.
HOURS_PATTERNS: tuple[tuple[tuple[int, str, str], ...], ...] = (
    tuple((d, "09:00", "17:00") for d in range(1, 6)),
    tuple((d, "10:00", "18:00") for d in range(2, 7)),
    tuple(x for d in range(1, 6) for x in ((d, "09:00", "12:00"), (d, "13:00", "18:00"))),
    (*((d, "08:00", "20:00") for d in range(1, 6)), (6, "09:00", "15:00")),
    ((3, "12:00", "20:00"), (4, "12:00", "20:00"), (5, "12:00", "20:00"), (6, "09:00", "17:00"),
     (0, "09:00", "17:00")),
)  # fmt: skip


@dataclass
class SeedResult:
    providers: int = 0
    users: int = 0
    services: int = 0
    weekly_hours: int = 0
    seconds: float = 0.0
    skipped: bool = False
    tag: str = ""

    def summary(self) -> str:
        if self.skipped:
            return f"seed {self.tag}: already loaded, nothing to do"
        return (
            f"seed {self.tag}: {self.providers} providers, {self.services} services, "
            f"{self.weekly_hours} weekly hours intervals, {self.users} accounts "
            f"in {self.seconds:.1f} s"
        )


@dataclass
class _Chunk:
    users: list[tuple[Any, ...]] = field(default_factory=list)
    credentials: list[tuple[Any, ...]] = field(default_factory=list)
    providers: list[tuple[Any, ...]] = field(default_factory=list)
    services: list[tuple[Any, ...]] = field(default_factory=list)
    hours: list[tuple[Any, ...]] = field(default_factory=list)


def tag_for(providers: int, seed: int) -> str:
    return f"s{seed}n{providers}"


def provider_email(tag: str, index: int) -> str:
    return f"provider{index:07d}.{tag}@seed.bookiji.test"


def contact_email(tag: str, index: int) -> str:
    return f"contact{index:07d}.{tag}@seed.bookiji.test"


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _weighted(rng: random.Random, items: tuple[Any, ...], weights: list[int]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


_TIMES: dict[str, dtime] = {}


def _t(value: str) -> dtime:
    if value not in _TIMES:
        h, m = value.split(":")
        _TIMES[value] = dtime(int(h), int(m))
    return _TIMES[value]


def _generate(
    providers: int, seed: int, tag: str, first_owner: uuid.UUID | None
) -> Iterator[_Chunk]:
    rng = random.Random(f"bookiji:{seed}:{providers}")
    hood_weights = [h[3] for h in NEIGHBOURHOODS]
    cat_weights = [c.weight for c in CATEGORIES]
    chunk = _Chunk()
    for i in range(providers):
        hood = _weighted(rng, NEIGHBOURHOODS, hood_weights)
        cat: Category = _weighted(rng, CATEGORIES, cat_weights)
        provider_id = _uuid(rng)
        owner_id = _uuid(rng)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if i == 0 and first_owner is not None:
            owner_id = first_owner
        else:
            chunk.users.append(
                (
                    owner_id,
                    provider_email(tag, i),
                    "provider",
                    f"{first} {last}",
                    "fr" if rng.random() < 0.6 else "en",
                    CONFIRMED_AT,
                )
            )
            chunk.credentials.append((owner_id, PASSWORD_HASH))
        lat = round(hood[1] + rng.gauss(0, 0.006), 6)
        lng = round(hood[2] + rng.gauss(0, 0.008), 6)
        # ratings given before the provider's first review: a trigger keeps them as
        # ratings dated at the load, and reviews add to them (docs/reviews.md)
        rating_count = min(500, int(rng.expovariate(1 / 40)))
        rating_avg = (
            round(min(5.0, max(1.0, rng.gauss(4.4, 0.35))), 2) if rating_count > 0 else None
        )
        noun = rng.choice(cat.nouns)
        stem = rng.choice(NAME_STEMS) if rng.random() < 0.7 else hood[0]
        name = f"{noun} {stem}" if rng.random() < 0.5 else f"{stem} {noun}"
        chunk.providers.append(
            (
                provider_id,
                owner_id,
                name,
                f"{cat.templates[0][0]} and more in {hood[0]}.",
                lat,
                lng,
                rng.choice((5, 8, 10, 10, 15, 20, 25)),
                TIME_ZONE,
                rating_count,
                rating_avg,
                contact_email(tag, i),
                f"+1514555{rng.randrange(10000):04d}",
            )
        )
        for template in rng.sample(cat.templates, k=rng.randint(1, min(3, len(cat.templates)))):
            t_name, duration, base = template
            price = int(round(base * rng.uniform(0.8, 1.3) / 5) * 5 * 100)
            deposit = 0 if rng.random() < 0.5 else price // 5
            chunk.services.append(
                (
                    _uuid(rng),
                    provider_id,
                    cat.id,
                    t_name,
                    duration,
                    price,
                    deposit,
                    rng.choice((0, 0, 5, 10)),
                    rng.choice((0, 5, 10, 15)),
                    rng.choice((60, 120, 240)),
                    rng.choice((30, 60, 90)),
                    rng.choice((24, 24, 48)),
                    rng.choice((0, price // 4, price // 2)),
                )
            )
        for day, start, end in rng.choice(HOURS_PATTERNS):
            chunk.hours.append((_uuid(rng), provider_id, day, _t(start), _t(end)))
        if len(chunk.providers) >= CHUNK:
            yield chunk
            chunk = _Chunk()
    if chunk.providers:
        yield chunk


_COPIES = (
    ("users", "copy app.users (id, email, role, full_name, locale, email_confirmed_at) from stdin"),
    ("credentials", "copy auth.credentials (user_id, password_hash) from stdin"),
    (
        "providers",
        "copy app.providers (id, owner_id, business_name, description, lat, lng, "
        "service_radius_km, time_zone, rating_count, rating_avg, contact_email, contact_phone) "
        "from stdin",
    ),
    (
        "services",
        "copy app.services (id, provider_id, category_id, name, duration_minutes, price_cents, "
        "deposit_cents, buffer_before_minutes, buffer_after_minutes, min_notice_minutes, "
        "max_days_ahead, cancel_notice_hours, cancel_fee_cents) from stdin",
    ),
    (
        "hours",
        "copy app.weekly_hours (id, provider_id, day_of_week, start_time, end_time) from stdin",
    ),
)


def load(
    conn: psycopg.Connection[Any],
    providers: int,
    *,
    seed: int = DEMO_SEED,
    tag: str | None = None,
    first_owner: uuid.UUID | None = None,
) -> SeedResult:
    """Load ``providers`` generated providers through ``conn`` (an owner-level connection).

    Idempotent: when the set (``tag``, by default derived from providers and seed)
    is already present, nothing is written. Runs in one transaction.
    """
    if providers < 1 or providers > 1_000_000:
        raise ConfigError("--providers must be between 1 and 1,000,000")
    tag = tag or tag_for(providers, seed)
    result = SeedResult(tag=tag)
    started = time.perf_counter()
    with conn.transaction():
        if conn.execute(
            "select 1 from app.providers where contact_email = %s", (contact_email(tag, 0),)
        ).fetchone():
            result.skipped = True
            return result
        cur = conn.cursor()
        for chunk in _generate(providers, seed, tag, first_owner):
            for name, statement in _COPIES:
                rows: list[tuple[Any, ...]] = getattr(chunk, name)
                with cur.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
            result.users += len(chunk.users)
            result.providers += len(chunk.providers)
            result.services += len(chunk.services)
            result.weekly_hours += len(chunk.hours)
    # Fresh statistics so that the first quotes are planned with the GiST index.
    for table in ("app.providers", "app.services", "app.weekly_hours"):
        conn.execute(f"analyze {table}")
    result.seconds = time.perf_counter() - started
    return result


def ensure_demo_accounts(conn: psycopg.Connection[Any]) -> dict[str, uuid.UUID]:
    """The three demo accounts (password bookiji-demo-2026), created when missing."""
    accounts = {
        DEMO_CUSTOMER: ("customer", "Demo Customer"),
        DEMO_PROVIDER: ("provider", "Demo Provider"),
        DEMO_OPS: ("ops", "Demo Ops"),
    }
    ids: dict[str, uuid.UUID] = {}
    with conn.transaction():
        for email, (role, full_name) in accounts.items():
            conn.execute(
                "insert into app.users (email, role, full_name, locale, email_confirmed_at) "
                "values (%s, %s, %s, 'en', %s) on conflict (email) do nothing",
                (email, role, full_name, CONFIRMED_AT),
            )
            row = conn.execute("select id from app.users where email = %s", (email,)).fetchone()
            assert row is not None
            ids[email] = uuid.UUID(str(row[0]))
            conn.execute(
                "insert into auth.credentials (user_id, password_hash) values (%s, %s) "
                "on conflict (user_id) do nothing",
                (ids[email], PASSWORD_HASH),
            )
    return ids


def luhn_business_number(first8: int) -> str:
    """A 9-digit CRA business number: 8 digits and the Luhn check digit that makes the
    whole valid (every second digit doubled, as internal.gst_number_valid checks)."""
    digits = [int(d) for d in f"{first8:08d}"]
    total = sum(
        d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)
    )
    # the ninth digit sits at an odd position (1-based): it is not doubled
    return f"{first8:08d}{(10 - total % 10) % 10}"


DEMO_TAX_EVERY = 3  # one demo provider in three is registered for GST and QST


def demo_tax_numbers(index: int) -> tuple[str, str]:
    """Valid-format GST and QST numbers for demo provider ``index`` (made up, not real)."""
    return (
        f"{luhn_business_number(71000000 + index)}RT0001",
        f"{1200000000 + index:010d}TQ0001",
    )


def register_demo_taxes(conn: psycopg.Connection[Any], providers: int) -> int:
    """Register one demo provider in three (the demo provider's own, index 0, among them)
    for GST and QST, so that quotes in the demo show taxes; the others stay small suppliers.
    Idempotent: a provider already registered (or unregistered by hand) keeps its choice."""
    registered = 0
    with conn.transaction():
        for index in range(0, providers, DEMO_TAX_EVERY):
            gst, qst = demo_tax_numbers(index)
            cur = conn.execute(
                "insert into app.provider_tax_registrations (provider_id, gst_number, qst_number) "
                "select p.id, %s, %s from app.providers as p where p.contact_email = %s "
                "on conflict (provider_id) do nothing",
                (gst, qst, contact_email(DEMO_TAG, index)),
            )
            registered += cur.rowcount
    return registered


def load_demo(conn: psycopg.Connection[Any]) -> SeedResult:
    """The demo accounts and the 200-provider Montreal demo set, once; one provider in three
    registered for GST and QST."""
    ids = ensure_demo_accounts(conn)
    owner = ids[DEMO_PROVIDER]
    owns = conn.execute("select 1 from app.providers where owner_id = %s", (owner,)).fetchone()
    result = load(
        conn,
        DEMO_PROVIDERS,
        seed=DEMO_SEED,
        tag=DEMO_TAG,
        first_owner=None if owns else owner,
    )
    if not result.skipped:
        register_demo_taxes(conn, DEMO_PROVIDERS)
    return result


def ensure_demo(settings: Settings) -> SeedResult:
    """Load the demo data into DATABASE_URL once (skipped when already there)."""
    try:
        conn = psycopg.connect(settings.database_url, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise ConfigError(f"cannot connect to load the demo data: {exc}") from exc
    with conn:
        if conn.execute("select to_regclass('app.providers')").fetchone() == (None,):
            raise ConfigError("the catalog tables are missing: run `bookiji deploy` first")
        return load_demo(conn)


# --- the next two weeks: customers, time off, bookings ----------------------

ACTIVITY_DAYS = 14
BOOKED_SHARE = 0.15  # chance that a slot of a provider of average busyness is taken (hour weight 1)
TIME_OFF_SHARE = 0.03  # providers with a block of time off in the window
CANCELLED_SHARE = 0.06  # bookings made and cancelled (they block nothing)
CUSTOMERS_PER_PROVIDER = 0.2  # per provider and two weeks of activity
ACTIVITY_CHUNK = 20_000  # providers per statement: bounds the trigger queue of one insert
LAYOUT_KEY = "services_layout"  # in internal.settings: when app.services was last put in order


def cluster_services(conn: psycopg.Connection[Any], *, force: bool = False) -> str:
    """Rewrite ``app.services`` in (category, location) order, then analyze it.

    The quote reads the offers of one category near one point: in this order
    they share heap pages (the search key index finds ~800 offers a quote at 1M
    providers; scattered, each is a page of its own). ``CLUSTER`` through a
    temporary btree on (category_id, geohash of the search key), dropped again.
    It holds an exclusive lock on app.services while it runs (2.6 s at 100k
    providers, 27 s at 1M). Skipped when done before unless ``force``: rows
    written later go wherever there is room, so a live database needs it again
    from time to time (README, Performance). ``conn`` must be in autocommit
    mode (an owner-level connection)."""
    if (
        not force
        and conn.execute("select 1 from internal.settings where key = %s", (LAYOUT_KEY,)).fetchone()
    ):
        return "app.services already in category and location order, nothing to do"
    started = time.perf_counter()
    with conn.transaction():
        conn.execute(
            "create index services_layout_tmp on app.services (category_id, "
            "extensions.st_geohash(extensions.st_force2d(search_key), 8))"
        )
        conn.execute("cluster app.services using services_layout_tmp")
        conn.execute("drop index app.services_layout_tmp")
        conn.execute(
            "insert into internal.settings (key, value) values (%s, now()::text) "
            "on conflict (key) do update set value = excluded.value",
            (LAYOUT_KEY,),
        )
    conn.execute("analyze app.services")
    return (
        f"app.services put in category and location order in {time.perf_counter() - started:.1f} s"
    )


ACTIVITY_KEY = "seed_activity."  # + tag, in internal.settings: the window's first day
ACTOR = "seed"  # the actor the audit trail records for generated bookings


@dataclass
class ActivityResult:
    tag: str = ""
    first_day: date | None = None
    days: int = ACTIVITY_DAYS
    customers: int = 0
    time_off: int = 0
    confirmed: int = 0
    cancelled: int = 0
    payments: int = 0
    quotes: int = 0  # each booking's, and the earlier ones left unbooked
    booked_share: float = 0.0  # of the window's working time, by confirmed bookings (buffers in)
    replaced: int = 0  # bookings of an earlier window, deleted
    seconds: float = 0.0
    skipped: bool = False

    def summary(self) -> str:
        if self.skipped:
            return f"seed {self.tag} activity: already there for {self.first_day}, nothing to do"
        return (
            f"seed {self.tag} activity, {self.days} days from {self.first_day}: "
            f"{self.customers} customers, {self.time_off} time off blocks, "
            f"{self.confirmed} confirmed bookings ({self.booked_share:.0%} of working time), "
            f"{self.cancelled} cancelled, {self.payments} payments, {self.quotes} quotes"
            + (f", {self.replaced} old bookings replaced" if self.replaced else "")
            + f" in {self.seconds:.1f} s"
        )


def customer_email(tag: str, index: int) -> str:
    return f"customer{index:07d}.{tag}@seed.bookiji.test"


def _u(*parts: str) -> str:
    """SQL: a deterministic uniform number in [0, 1) from the seed and ``parts``."""
    key = " || ':' || ".join(parts)
    return f"((pg_catalog.hashtextextended({key}, %(seed)s) & 2147483647) / 2147483648.0)"


def _u_key(key: str, salt: int) -> str:
    """SQL: like ``_u``, from one key hashed with the seed plus ``salt`` (cheaper)."""
    return f"((pg_catalog.hashtextextended({key}, %(seed)s + {salt}) & 2147483647) / 2147483648.0)"


# The set's providers, numbered, with their active services as arrays and the
# length of their slot grid: the longest service with its buffers, in quarter
# hours. Bookings sit on that grid inside each weekly interval, one slot each,
# so that two bookings of a provider can never overlap.
_ACTIVITY_PROVIDERS = f"""
create temporary table seed_providers on commit drop as
select
    p.id,
    p.time_zone,
    row_number() over (order by p.id) as n,
    0.4 + 1.2 * {_u("p.id::text", "'busy'")} as busy,
    array_agg(s.id order by s.id) as service_ids,
    array_agg(s.duration_minutes order by s.id) as durations,
    array_agg(s.buffer_before_minutes order by s.id) as befores,
    array_agg(s.buffer_after_minutes order by s.id) as afters,
    array_agg(s.price_cents order by s.id) as prices,
    array_agg(s.deposit_cents order by s.id) as deposits,
    array_agg(s.cancel_notice_hours order by s.id) as notices,
    array_agg(s.cancel_fee_cents order by s.id) as fees,
    (ceil(max(s.buffer_before_minutes + s.duration_minutes + s.buffer_after_minutes) / 15.0) * 15)::integer
        as slot_minutes
from app.providers as p
inner join app.services as s on s.provider_id = p.id and s.is_active
where p.contact_email like %(pattern)s and p.is_active
group by p.id, p.time_zone
"""

# The customers sign up over the five weeks before the first booking is made (bookings are
# made 8 to 27 days before the window's first day: _ACTIVITY_BOOKINGS), each on a day and
# hour of its own, so that the sign-up cohorts are weeks of customers, as a marketplace's
# are, not everyone in the hour the seed ran. A window of another first day moves them with
# it: no booking is ever made before its customer signed up.
_ACTIVITY_CUSTOMERS = f"""
insert into app.users as u (id, email, role, full_name, locale, email_confirmed_at, created_at)
select
    pg_catalog.md5(%(tag)s::text || ':customer:' || i)::uuid,
    'customer' || pg_catalog.lpad(i::text, 7, '0') || '.' || %(tag)s::text || '@seed.bookiji.test',
    'customer',
    'Seed Customer ' || i,
    case when i %% 5 < 3 then 'fr' else 'en' end,
    %(confirmed_at)s,
    %(first)s::date::timestamp at time zone 'UTC' - interval '28 days' - pg_catalog.make_interval(
        secs => pg_catalog.floor({_u_key("%(tag)s::text || ':signup:' || i", 0)} * 35 * 86400)
    )
from pg_catalog.generate_series(0, %(customers)s - 1) as i
on conflict (email) do update set created_at = excluded.created_at
where u.created_at is distinct from excluded.created_at
"""

_ACTIVITY_CUSTOMER_IDS = """
create temporary table seed_customers on commit drop as
select pg_catalog.md5(%(tag)s::text || ':customer:' || i)::uuid as id
from pg_catalog.generate_series(0, %(customers)s - 1) as i
"""

_ACTIVITY_CREDENTIALS = """
insert into auth.credentials (user_id, password_hash)
select pg_catalog.md5(%(tag)s::text || ':customer:' || i)::uuid, %(hash)s
from pg_catalog.generate_series(0, %(customers)s - 1) as i
on conflict (user_id) do nothing
"""

# A block of time off for a few percent of the providers: a vacation of one to
# five whole local days, or an afternoon off.
_ACTIVITY_TIME_OFF = f"""
insert into app.time_off (id, provider_id, during, reason)
select
    pg_catalog.md5(%(seed)s::text || ':' || %(first)s::text || ':off:' || p.id)::uuid,
    p.id,
    case when k.vacation
        then pg_catalog.tstzrange(
            (k.day)::timestamp at time zone p.time_zone,
            (k.day + k.length)::timestamp at time zone p.time_zone, '[)')
        else pg_catalog.tstzrange(
            (k.day + time '12:00') at time zone p.time_zone,
            (k.day + time '18:00') at time zone p.time_zone, '[)')
    end,
    case when k.vacation then 'Vacances' else 'Rendez-vous' end || ' (seed ' || %(tag)s::text || ')'
from seed_providers as p
cross join lateral (
    select
        {_u("p.id::text", "'off'")} < %(time_off)s as chosen,
        {_u("p.id::text", "'off-kind'")} < 0.6 as vacation,
        %(first)s::date + (floor({_u("p.id::text", "'off-day'")} * %(days)s))::integer as day,
        1 + (floor({_u("p.id::text", "'off-length'")} * 5))::integer as length
) as k
where k.chosen
"""

# Bookings of one chunk of providers: every slot of the grid in the window's
# working intervals, taken with a chance that grows with the provider's
# busyness and the hour's popularity; never in time off, never over a live
# booking already there (one the benchmark made, say). A taken slot books one
# of the provider's services at its start (buffers included); a few were
# cancelled (they block nothing), the rest are confirmed, and paid when they cost
# anything (deposit, else price): the payment succeeded, captured in full.
_ACTIVITY_BOOKINGS = f"""
with slots as (
    select
        p.*,
        d.day,
        w.id as hours_id,
        k.k,
        ((d.day + w.start_time) + pg_catalog.make_interval(mins => k.k * p.slot_minutes))
            as local_start
        ,
        p.id::text || ':' || (d.day - %(first)s::date) || ':' || w.id::text || ':' || k.k as slot_key
    from seed_providers as p
    inner join app.weekly_hours as w on w.provider_id = p.id
    cross join lateral (
        select %(first)s::date + i as day from pg_catalog.generate_series(0, %(days)s - 1) as i
    ) as d
    cross join lateral pg_catalog.generate_series(
        0,
        floor(extract(epoch from w.end_time - w.start_time) / 60 / p.slot_minutes)::integer - 1
    ) as k (k)
    where p.n between %(lo)s and %(hi)s and extract(dow from d.day) = w.day_of_week
),
taken as (
    select
        s.*,
        s.local_start at time zone s.time_zone as starts,
        1 + (floor({_u_key("s.slot_key", 1)}
            * pg_catalog.cardinality(s.service_ids)))::integer as j,
        pg_catalog.md5(%(tag)s::text || ':customer:' || (floor(
            {_u_key("s.slot_key", 2)}
            * %(customers)s))::integer)::uuid as customer_id,
        {_u_key("s.slot_key", 3)}
            < %(cancelled)s as was_cancelled,
        %(first)s::date::timestamp at time zone 'UTC' - pg_catalog.make_interval(days => 8 + (floor(
            {_u_key("s.slot_key", 4)} * 20
        ))::integer) as made_at
    from slots as s
    where {_u_key("s.slot_key", 5)}
        < %(booked)s * s.busy * case
            when extract(hour from s.local_start) between 10 and 12 then 1.4
            when extract(hour from s.local_start) between 16 and 18 then 1.3
            when extract(hour from s.local_start) < 9 then 0.5
            when extract(hour from s.local_start) >= 19 then 0.6
            else 1.0
        end
),
rows as materialized (
    select
        pg_catalog.md5(%(seed)s::text || ':' || %(first)s::text || ':booking:' || t.id || ':' || t.day
            || ':' || t.hours_id || ':' || t.k)::uuid as id,
        t.customer_id,
        t.id as provider_id,
        t.service_ids[t.j] as service_id,
        pg_catalog.tstzrange(
            t.starts + pg_catalog.make_interval(mins => t.befores[t.j]),
            t.starts + pg_catalog.make_interval(mins => t.befores[t.j] + t.durations[t.j]),
            '[)'
        ) as during,
        pg_catalog.tstzrange(
            t.starts,
            t.starts + pg_catalog.make_interval(mins => t.befores[t.j] + t.durations[t.j] + t.afters[t.j]),
            '[)'
        ) as blocked,
        case when t.was_cancelled then 'cancelled' else 'confirmed' end as status,
        t.prices[t.j] as price_cents,
        t.deposits[t.j] as deposit_cents,
        t.notices[t.j] as cancel_notice_hours,
        least(t.fees[t.j], t.prices[t.j]) as cancel_fee_cents,
        t.was_cancelled,
        t.made_at,
        -- the quote it was confirmed from, 1 to 10 minutes before (a quote lives 15)
        pg_catalog.md5(%(seed)s::text || ':' || %(first)s::text || ':quote:' || t.slot_key)::uuid
            as quote_id,
        t.made_at - pg_catalog.make_interval(mins => 1 + floor({_u_key("t.slot_key", 6)} * 10)::integer)
            as quoted_at,
        {_u_key("t.slot_key", 7)} < %(quoted_before)s as quoted_before
    from taken as t
),
quoted as (
    -- the customer's quotes: the one each booking was confirmed from, at the provider's place
    -- (where the customer searched), and for a share of them one asked an hour before and
    -- left unbooked (the funnel's drop-off; still after the customer signed up: every sign-up
    -- is at least a day before the first booking is made); a slot the insert below skips
    -- keeps its quote too, unbooked
    insert into app.quotes (
        id, customer_id, category_id, location, starts_at, radius_km, created_at, expires_at
    )
    select
        x.id, r.customer_id, sv.category_id, pr.location, pg_catalog.lower(r.blocked), 10,
        x.at, x.at + interval '15 minutes'
    from rows as r
    inner join app.services as sv on sv.id = r.service_id
    inner join app.providers as pr on pr.id = r.provider_id
    cross join lateral (
        values
            (r.quote_id, r.quoted_at),
            (
                case when r.quoted_before then
                    pg_catalog.md5(r.quote_id::text || ':an hour before')::uuid
                end,
                r.quoted_at - interval '1 hour'
            )
    ) as x (id, at)
    where x.id is not null
    returning 1
),
inserted as (
    insert into app.bookings (
        id, customer_id, provider_id, service_id, quote_id, during, blocked, status, price_cents,
        deposit_cents, currency, cancel_notice_hours, cancel_fee_cents, cancelled_at,
        cancelled_by, cancelled_by_role, cancel_reason, created_at, updated_at
    )
    select
        r.id, r.customer_id, r.provider_id, r.service_id, r.quote_id, r.during, r.blocked, r.status,
        r.price_cents, r.deposit_cents, 'CAD', r.cancel_notice_hours, r.cancel_fee_cents,
        case when r.was_cancelled then r.made_at + interval '1 day' end,
        case when r.was_cancelled then r.customer_id end,
        case when r.was_cancelled then 'customer' end,
        case when r.was_cancelled then 'Plans changed' end,
        r.made_at,
        case when r.was_cancelled then r.made_at + interval '1 day' else r.made_at end
    from rows as r
    where
        not exists (
            select from app.time_off as o
            where o.provider_id = r.provider_id and o.during && r.blocked
        )
        and not exists (
            select from seed_live as l
            where l.provider_id = r.provider_id and l.blocked && r.blocked
        )
    returning *
),
ended as (
    -- what the reliability trigger (disabled for this insert) counts, applied set-based after
    insert into seed_ended (provider_id, status, cancelled_by_role, sign)
    select i.provider_id, i.status, i.cancelled_by_role, 1
    from inserted as i
    where i.status in ('completed', 'no_show', 'cancelled')
),
trail as (
    -- what the audit trigger (disabled for this insert) writes for each new booking
    insert into audit.action_log (actor_role, action, table_name, row_id, after)
    select %(actor)s, 'booking.created', 'app.bookings', i.id::text, pg_catalog.to_jsonb(i)
    from inserted as i
),
paid as (
    insert into app.payments (
        id, booking_id, amount_cents, currency, status, stripe_payment_intent_id,
        captured_cents, created_at, updated_at
    )
    select
        pg_catalog.md5(i.id::text || ':payment')::uuid,
        i.id,
        a.amount,
        'CAD',
        'succeeded',
        'pi_seed_' || pg_catalog.replace(i.id::text, '-', ''),
        a.amount,
        i.created_at,
        i.created_at
    from inserted as i
    cross join lateral (
        select case when i.deposit_cents > 0 then i.deposit_cents else i.price_cents end as amount
    ) as a
    where i.status = 'confirmed' and a.amount > 0
    returning 1
)
select
    (select count(*) from inserted where status = 'confirmed'),
    (select count(*) from inserted where status = 'cancelled'),
    (select count(*) from paid),
    (select count(*) from quoted)
"""

# Live bookings that were already there (not generated: the benchmark's own):
# generated ones must not overlap them.
_ACTIVITY_LIVE = """
create temporary table seed_live on commit drop as
select b.provider_id, b.blocked
from app.bookings as b
where b.status in ('pending_payment', 'confirmed')
    and b.blocked && pg_catalog.tstzrange(%(first)s::timestamptz - interval '1 day',
                                          %(first)s::timestamptz + make_interval(days => %(days)s + 1))
"""

# The ended bookings written or deleted with the reliability trigger off (sign +1 or -1).
_ACTIVITY_ENDED = """
create temporary table seed_ended (
    provider_id uuid not null, status text not null, cancelled_by_role text, sign integer not null
) on commit drop
"""

# What internal.bookings_reliability (73_reliability.sql) does row by row, once per provider:
# the counts of its ended bookings move by what was written and deleted, and the two rates
# follow from the counts alone. Every provider with an ended booking written or deleted is
# updated (even when its counts net to zero: the trigger would have touched its row too).
_ACTIVITY_RELIABILITY = """
update app.providers as p
set
    ended_bookings = p.ended_bookings + a.ended,
    provider_cancellations = p.provider_cancellations + a.cancelled,
    no_shows = p.no_shows + a.no_show,
    other_cancellations = p.other_cancellations + a.other,
    provider_cancellation_rate = internal.shrunk_rate(
        p.provider_cancellations + a.cancelled, p.ended_bookings + a.ended
    ),
    no_show_rate = internal.shrunk_rate(p.no_shows + a.no_show, p.ended_bookings + a.ended)
from (
    select
        e.provider_id,
        sum(e.sign)::integer as ended,
        coalesce(sum(e.sign) filter (
            where e.status = 'cancelled' and e.cancelled_by_role is not distinct from 'provider'
        ), 0)::integer as cancelled,
        coalesce(sum(e.sign) filter (where e.status = 'no_show'), 0)::integer as no_show,
        coalesce(sum(e.sign) filter (
            where e.status = 'cancelled' and e.cancelled_by_role is distinct from 'provider'
        ), 0)::integer as other
    from seed_ended as e
    group by e.provider_id
) as a
where p.id = a.provider_id
"""

# The share of the window's working time that the confirmed bookings block.
_ACTIVITY_SHARE = """
select
    coalesce((
        select sum(extract(epoch from upper(b.blocked) - lower(b.blocked)))
        from app.bookings as b
        inner join seed_providers as p on p.id = b.provider_id
        where b.status = 'confirmed' and b.customer_id in (select id from seed_customers)
    ), 0)
    / nullif((
        select sum(extract(epoch from w.end_time - w.start_time))
        from seed_providers as p
        inner join app.weekly_hours as w on w.provider_id = p.id
        cross join pg_catalog.generate_series(0, %(days)s - 1) as i
        where extract(dow from %(first)s::date + i) = w.day_of_week
    ), 0)
"""


def _customers_for(providers: int, days: int = ACTIVITY_DAYS) -> int:
    """The customers of ``days`` of activity: as many per two weeks as ever, so that a longer
    window brings new customers rather than one set booking ever more often (a year with the
    two weeks' set gave each customer ~1,500 bookings, which no person makes)."""
    return max(
        8, int(providers * CUSTOMERS_PER_PROVIDER * max(days, ACTIVITY_DAYS) / ACTIVITY_DAYS)
    )


# the tables the activity writes whose analytics triggers are off during the bulk write
_ANALYTICS_BULK_TABLES = ("app.bookings", "app.payments")
# the funnel's triggers (db/functions/84_analytics_behaviour.sql), rebuilt after the load
_ANALYTICS_FUNNEL_TRIGGERS = tuple(
    (table, f"_520_analytics_funnel_{op}")
    for table in ("app.quotes", "app.bookings", "app.payments")
    for op in ("insert", "update", "delete")
)
# the share of bookings whose customer had asked for a quote an hour before too, and left it
QUOTED_BEFORE_SHARE = 0.6
# the customers' cohort hours' and first bookings' triggers on bookings
# (db/functions/81_analytics_audience.sql): the rebuild below counts them again
_ANALYTICS_COHORT_TRIGGERS = (
    "_510_analytics_cohort",
    "_510_analytics_cohort_update",
    "_510_analytics_first_insert",
    "_510_analytics_first_delete",
    "_510_analytics_first_update",
)
# Is the offered days' window today's? Then the statement triggers on time off (left on:
# one recount of the providers each statement touches) kept every provider's offered days,
# and only the bookings' rollups need recounting.
_OFFERED_WINDOW_IS_TODAYS = """
select exists (
    select from app.analytics_offered_window as w, internal.analytics_offered_target() as t
    where w.first_day = t.first_day and w.last_day = t.last_day
)
"""


def activity_first_day(today: date | None = None) -> date:
    """The window's first day: tomorrow in Montreal (whole days, all of them ahead)."""
    return (today or datetime.now(ZoneInfo(TIME_ZONE)).date()) + timedelta(days=1)


def load_activity(
    conn: psycopg.Connection[Any],
    providers: int,
    *,
    seed: int = DEMO_SEED,
    tag: str | None = None,
    first_day: date | None = None,
    days: int = ACTIVITY_DAYS,
    booked: float = BOOKED_SHARE,
    time_off: float = TIME_OFF_SHARE,
    cancelled: float = CANCELLED_SHARE,
    chunk: int = ACTIVITY_CHUNK,
) -> ActivityResult:
    """Customers, time off and bookings over ``days`` days from ``first_day``
    (default: tomorrow) for the set loaded by ``load(conn, providers, seed=seed)``.

    Deterministic for (seed, set, first day). Idempotent: when this window is
    already there, nothing is written; a window of another first day is deleted
    (its bookings, payments, audit rows and time off) and replaced. One transaction.
    """
    tag = tag or tag_for(providers, seed)
    first = first_day or activity_first_day()
    result = ActivityResult(tag=tag, first_day=first, days=days)
    started = time.perf_counter()
    n_customers = _customers_for(providers, days)
    params: dict[str, Any] = {
        "seed": seed,
        "tag": tag,
        "first": first.isoformat(),
        "days": days,
        "booked": booked,
        "time_off": time_off,
        "cancelled": cancelled,
        "quoted_before": QUOTED_BEFORE_SHARE,
        "customers": n_customers,
        "confirmed_at": CONFIRMED_AT,
        "hash": PASSWORD_HASH,
        "pattern": f"contact%.{tag}@seed.bookiji.test",
        "actor": ACTOR,
    }
    key = ACTIVITY_KEY + tag
    with conn.transaction():
        row = conn.execute("select value from internal.settings where key = %s", (key,)).fetchone()
        if row is not None and row[0] == first.isoformat():
            result.skipped = True
            return result
        conn.execute("select set_config('bookiji.actor', %s, true)", (ACTOR,))
        # The analytics triggers take an advisory lock per booking (db/functions/
        # 80_analytics_rollups.sql): two weeks of a 10k-provider set ran out of the
        # lock table ("out of shared memory") and cost ~15 ms a booking. Off for the
        # bulk write (and the deletion of an earlier window), then one set-based
        # rebuild of the bookings' rollups and of the customers' cohort hours in the
        # same transaction (exact: it recounts
        # from the base tables, as `bookiji analytics rebuild` does). The offered days
        # are kept by time off's statement triggers (left on); they are recounted for
        # every provider (~5 ms a provider) only when their window is not today's.
        for table in _ANALYTICS_BULK_TABLES:
            conn.execute(f"alter table {table} disable trigger _510_analytics_insert")
            conn.execute(f"alter table {table} disable trigger _510_analytics_update")
        for trigger in _ANALYTICS_COHORT_TRIGGERS:
            conn.execute(f"alter table app.bookings disable trigger {trigger}")
        # the funnel's (84_analytics_behaviour.sql): a quote's row recounted per booking and
        # per payment; the rebuild below counts every quote again
        for table, trigger in _ANALYTICS_FUNNEL_TRIGGERS:
            conn.execute(f"alter table {table} disable trigger {trigger}")
        # The reliability trigger updates the provider's row for each booking that ended
        # (a cancelled one here), and each such update ran the provider's statement
        # triggers: ~95 ms a cancelled booking, most of the build. Off for the deletion
        # and the bulk write; the ended bookings are counted into the providers' rows
        # once, set-based, at the end (_ACTIVITY_RELIABILITY: the same counts and rates).
        conn.execute("alter table app.bookings disable trigger _500_reliability")
        conn.execute(_ACTIVITY_ENDED)
        conn.execute(_ACTIVITY_CUSTOMER_IDS, params)
        if row is not None:
            result.replaced = _delete_activity(conn, tag)
        # the customers' sign-ups move with the window: their cohort hours are recounted by
        # the rebuild below, not customer by customer by the trigger on app.users
        conn.execute("alter table app.users disable trigger _510_analytics_cohort_user")
        conn.execute(_ACTIVITY_CUSTOMERS, params)
        conn.execute("alter table app.users enable trigger _510_analytics_cohort_user")
        conn.execute(_ACTIVITY_CREDENTIALS, params)
        result.customers = n_customers
        conn.execute(_ACTIVITY_PROVIDERS, params)
        conn.execute("create index on seed_providers (n)")
        conn.execute("analyze seed_providers")
        count = conn.execute("select count(*) from seed_providers").fetchone()
        total = int(count[0]) if count else 0
        result.time_off = conn.execute(_ACTIVITY_TIME_OFF, params).rowcount
        conn.execute(_ACTIVITY_LIVE, params)
        conn.execute("create index on seed_live (provider_id)")
        conn.execute("analyze seed_live")
        # The audit trigger runs a plpgsql function and a nested insert per row (more
        # than half of the time); each statement below writes the very same rows
        # itself, set-based (tests/bench/test_seed_activity.py compares them). The
        # ALTER is transactional: an error rolls it back with everything else.
        conn.execute("alter table app.bookings disable trigger _900_audit")
        for lo in range(1, total + 1, chunk):
            got = conn.execute(
                _ACTIVITY_BOOKINGS, {**params, "lo": lo, "hi": lo + chunk - 1}
            ).fetchone()
            assert got is not None
            result.confirmed += int(got[0])
            result.cancelled += int(got[1])
            result.payments += int(got[2])
            result.quotes += int(got[3])
        conn.execute("alter table app.bookings enable trigger _900_audit")
        conn.execute("alter table app.bookings enable trigger _500_reliability")
        conn.execute(_ACTIVITY_RELIABILITY)
        for table in _ANALYTICS_BULK_TABLES:
            conn.execute(f"alter table {table} enable trigger _510_analytics_insert")
            conn.execute(f"alter table {table} enable trigger _510_analytics_update")
        for trigger in _ANALYTICS_COHORT_TRIGGERS:
            conn.execute(f"alter table app.bookings enable trigger {trigger}")
        for table, trigger in _ANALYTICS_FUNNEL_TRIGGERS:
            conn.execute(f"alter table {table} enable trigger {trigger}")
        todays = conn.execute(_OFFERED_WINDOW_IS_TODAYS).fetchone()
        if todays is not None and todays[0]:
            conn.execute("select internal.analytics_rebuild_bookings()")
            conn.execute("select internal.analytics_rebuild_cohorts()")
            conn.execute("select internal.analytics_rebuild_funnel()")
        else:
            conn.execute("select internal.analytics_rebuild()")
        share = conn.execute(_ACTIVITY_SHARE, params).fetchone()
        result.booked_share = float(share[0]) if share and share[0] is not None else 0.0
        conn.execute(
            "insert into internal.settings (key, value) values (%s, %s) "
            "on conflict (key) do update set value = excluded.value",
            (key, first.isoformat()),
        )
    # the rollups' facts too: read by the drill-down, rewritten by the rebuild above
    for table in (
        "app.users",
        "app.time_off",
        "app.bookings",
        "app.payments",
        "app.analytics_booking_facts",
        "app.analytics_provider_hours",
        "app.analytics_customer_weeks",
    ):
        conn.execute(f"analyze {table}")
    result.seconds = time.perf_counter() - started
    return result


def _delete_activity(conn: psycopg.Connection[Any], tag: str) -> int:
    """Delete an earlier window of the set: its bookings (payments follow), their
    audit rows, the time off and the customers' quotes. Returns how many bookings went."""
    row = conn.execute(
        """
        with gone as (
            delete from app.bookings where customer_id in (select id from seed_customers)
            returning id, provider_id, status, cancelled_by_role
        ),
        ended as (
            insert into seed_ended (provider_id, status, cancelled_by_role, sign)
            select g.provider_id, g.status, g.cancelled_by_role, -1
            from gone as g
            where g.status in ('completed', 'no_show', 'cancelled')
        ),
        trail as (
            delete from audit.action_log as l
            using gone
            where l.table_name = 'app.bookings' and l.row_id = gone.id::text
        )
        select count(*) from gone
        """
    ).fetchone()
    conn.execute("delete from app.time_off where reason like %s", (f"% (seed {tag})",))
    # their quotes (the seed's customers make no other)
    conn.execute("delete from app.quotes where customer_id in (select id from seed_customers)")
    return int(row[0]) if row else 0

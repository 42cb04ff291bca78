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
from datetime import UTC, datetime
from datetime import time as dtime
from typing import Any

import psycopg

from worker.config import Settings
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


def load_demo(conn: psycopg.Connection[Any]) -> SeedResult:
    """The demo accounts and the 200-provider Montreal demo set, once."""
    ids = ensure_demo_accounts(conn)
    owner = ids[DEMO_PROVIDER]
    owns = conn.execute("select 1 from app.providers where owner_id = %s", (owner,)).fetchone()
    return load(
        conn,
        DEMO_PROVIDERS,
        seed=DEMO_SEED,
        tag=DEMO_TAG,
        first_owner=None if owns else owner,
    )


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

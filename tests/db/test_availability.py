"""Availability: weekly hours in the provider's own time zone (DST included), minus
time off and live bookings with their buffers, within notice and horizon.

internal.service_slots takes "now" as a parameter, so these tests ask about fixed
dates (2026 and 2027 DST weekends) seen from a fixed instant; api.available_slots
passes now().
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.helpers.catalog import (
    add_booking,
    add_hours,
    add_time_off,
    create_provider,
    create_service,
    slots,
)
from tests.helpers.db import acting_as

TORONTO = ZoneInfo("America/Toronto")


def _local(ts: list[datetime], tz: ZoneInfo) -> list[str]:
    return [t.astimezone(tz).strftime("%a %H:%M") for t in ts]


def _utc(*values: str) -> list[datetime]:
    return [datetime.fromisoformat(v).replace(tzinfo=UTC) for v in values]


def _weekend_service(db: psycopg.Connection[Any], tz: str, start: str, end: str) -> uuid.UUID:
    provider = create_provider(db, time_zone=tz)
    add_hours(db, provider, [6, 0], start, end)  # Saturday and Sunday
    return create_service(db, provider, duration_minutes=60)


# --- Daylight saving time --------------------------------------------------------


@pytest.mark.parametrize(
    ("saturday", "sunday_utc_opening"),
    [
        ("2026-03-07", "2026-03-08T13:00:00"),  # spring forward: EST -> EDT
        ("2026-10-31", "2026-11-01T14:00:00"),  # fall back: EDT -> EST
        ("2027-03-13", "2027-03-14T13:00:00"),
        ("2027-11-06", "2027-11-07T14:00:00"),
    ],
)
def test_opening_hours_stay_at_local_wall_clock_time_across_a_toronto_dst_weekend(
    db: psycopg.Connection[Any], saturday: str, sunday_utc_opening: str
) -> None:
    service = _weekend_service(db, "America/Toronto", "09:00", "17:00")
    sat = datetime.fromisoformat(saturday).replace(tzinfo=TORONTO)
    found = slots(db, service, sat, sat + timedelta(days=2), now="2026-01-01T00:00:00Z")
    hours = [f"{h:02d}:00" for h in range(9, 17)]
    assert _local(found, TORONTO) == [f"Sat {h}" for h in hours] + [f"Sun {h}" for h in hours]
    sunday = [t for t in found if t.astimezone(TORONTO).weekday() == 6]
    assert sunday[0] == _utc(sunday_utc_opening)[0]


def test_a_night_shift_on_the_spring_forward_night_has_only_five_real_hours(
    db: psycopg.Connection[Any],
) -> None:
    provider = create_provider(db)
    add_hours(db, provider, [0], "00:00", "06:00")
    service = create_service(db, provider, duration_minutes=60)
    found = slots(db, service, "2026-03-08T00:00:00-05:00", "2026-03-08T12:00:00-04:00")
    assert found == _utc(
        "2026-03-08T05:00:00",
        "2026-03-08T06:00:00",
        "2026-03-08T07:00:00",
        "2026-03-08T08:00:00",
        "2026-03-08T09:00:00",
    )
    assert _local(found, TORONTO) == [
        "Sun 00:00",
        "Sun 01:00",
        "Sun 03:00",
        "Sun 04:00",
        "Sun 05:00",
    ]


def test_a_night_shift_on_the_fall_back_night_has_seven_real_hours(
    db: psycopg.Connection[Any],
) -> None:
    provider = create_provider(db)
    add_hours(db, provider, [0], "00:00", "06:00")
    service = create_service(db, provider, duration_minutes=60)
    found = slots(
        db,
        service,
        "2027-11-07T00:00:00-04:00",
        "2027-11-07T12:00:00-05:00",
        now="2027-06-01T00:00:00Z",
    )
    assert found == [datetime(2027, 11, 7, 4, tzinfo=UTC) + timedelta(hours=h) for h in range(7)]
    # 01:00 happens twice that night, and both are bookable hours
    assert _local(found, TORONTO).count("Sun 01:00") == 2


def test_hours_inside_the_spring_forward_gap_move_an_hour_later_as_in_icalendar(
    db: psycopg.Connection[Any],
) -> None:
    # 02:15 does not exist that night: like RFC 5545, it is read with the offset
    # in force before the change (EST), which is 03:15 EDT.
    provider = create_provider(db)
    add_hours(db, provider, [0], "02:15", "02:45")
    service = create_service(db, provider, duration_minutes=15)
    found = slots(db, service, "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z", step=15)
    assert _local(found, TORONTO) == ["Sun 03:15", "Sun 03:30"]


def test_hours_that_would_run_backwards_across_the_gap_offer_nothing_and_do_not_fail(
    db: psycopg.Connection[Any],
) -> None:
    # 02:30 (read as EST) is 03:30 EDT, after 03:00 EDT: an empty stretch that night.
    provider = create_provider(db)
    add_hours(db, provider, [0], "02:30", "03:00")
    service = create_service(db, provider, duration_minutes=15)
    assert slots(db, service, "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z", step=15) == []
    found = slots(db, service, "2026-03-14T12:00:00Z", "2026-03-16T12:00:00Z", step=15)
    assert _local(found, TORONTO) == ["Sun 02:30", "Sun 02:45"]


@pytest.mark.parametrize(
    ("tz", "saturday", "saturday_opening_utc", "sunday_opening_utc"),
    [
        ("Europe/Paris", "2026-03-28", "2026-03-28T08:00:00", "2026-03-29T07:00:00"),
        ("Europe/Paris", "2026-10-24", "2026-10-24T07:00:00", "2026-10-25T08:00:00"),
        ("America/Vancouver", "2027-03-13", "2027-03-13T17:00:00", "2027-03-14T16:00:00"),
        ("America/Vancouver", "2027-11-06", "2027-11-06T16:00:00", "2027-11-07T17:00:00"),
    ],
)
def test_a_provider_in_another_time_zone_opens_at_its_own_local_time_across_dst(
    db: psycopg.Connection[Any],
    tz: str,
    saturday: str,
    saturday_opening_utc: str,
    sunday_opening_utc: str,
) -> None:
    service = _weekend_service(db, tz, "09:00", "17:00")
    zone = ZoneInfo(tz)
    sat = datetime.fromisoformat(saturday).replace(tzinfo=zone)
    found = slots(db, service, sat, sat + timedelta(days=2))
    hours = [f"{h:02d}:00" for h in range(9, 17)]
    assert _local(found, zone) == [f"Sat {h}" for h in hours] + [f"Sun {h}" for h in hours]
    assert found[0] == _utc(saturday_opening_utc)[0]
    assert found[8] == _utc(sunday_opening_utc)[0]


# --- Buffers, bookings, holds and time off ----------------------------------------

WEDNESDAY = datetime(2026, 12, 2, tzinfo=TORONTO)


def _wednesday(at: str) -> datetime:
    h, m = (int(x) for x in at.split(":"))
    return WEDNESDAY.replace(hour=h, minute=m)


def _wednesday_slots(db: psycopg.Connection[Any], service: uuid.UUID, **kw: Any) -> list[str]:
    found = slots(db, service, WEDNESDAY, WEDNESDAY + timedelta(days=1), step=15, **kw)
    return [t.astimezone(TORONTO).strftime("%H:%M") for t in found]


@pytest.fixture
def buffered(db: psycopg.Connection[Any]) -> uuid.UUID:
    """A 60-minute service with 15-minute buffers, Wednesdays 09:00 to 17:00."""
    provider = create_provider(db)
    add_hours(db, provider, [3], "09:00", "17:00")
    return create_service(
        db, provider, duration_minutes=60, buffer_before_minutes=15, buffer_after_minutes=15
    )


def test_the_slot_and_its_buffers_must_fit_inside_working_hours(
    db: psycopg.Connection[Any], buffered: uuid.UUID
) -> None:
    found = _wednesday_slots(db, buffered)
    assert found[0] == "09:15"
    assert found[-1] == "15:45"
    assert len(found) == 27


def test_a_confirmed_booking_blocks_its_slot_and_buffers(
    db: psycopg.Connection[Any], buffered: uuid.UUID
) -> None:
    add_booking(db, buffered, _wednesday("12:00"))
    found = _wednesday_slots(db, buffered)
    assert "10:30" in found
    assert "10:45" not in found
    assert "12:00" not in found
    assert "13:15" not in found
    assert "13:30" in found


def test_an_unexpired_hold_blocks_its_slot(
    db: psycopg.Connection[Any], buffered: uuid.UUID
) -> None:
    now = _wednesday("08:00")
    add_booking(
        db,
        buffered,
        _wednesday("12:00"),
        status="pending_payment",
        hold_expires_at=now + timedelta(minutes=10),
    )
    assert "12:00" not in _wednesday_slots(db, buffered, now=now)


def test_an_expired_hold_never_blocks(db: psycopg.Connection[Any], buffered: uuid.UUID) -> None:
    now = _wednesday("08:00")
    add_booking(
        db,
        buffered,
        _wednesday("12:00"),
        status="pending_payment",
        hold_expires_at=now - timedelta(minutes=1),
    )
    assert "12:00" in _wednesday_slots(db, buffered, now=now)


@pytest.mark.parametrize("status", ["cancelled", "expired", "completed", "no_show"])
def test_a_booking_that_is_no_longer_live_does_not_block(
    db: psycopg.Connection[Any], buffered: uuid.UUID, status: str
) -> None:
    add_booking(db, buffered, _wednesday("12:00"), status=status)
    assert "12:00" in _wednesday_slots(db, buffered)


def test_time_off_removes_every_slot_it_touches(
    db: psycopg.Connection[Any], buffered: uuid.UUID
) -> None:
    provider = db.execute("select provider_id from app.services where id = %s", (buffered,))
    row = provider.fetchone()
    assert row is not None
    add_time_off(db, row[0], _wednesday("12:00"), _wednesday("14:00"))
    found = _wednesday_slots(db, buffered)
    assert "10:45" in found
    assert "11:00" not in found
    assert "13:45" not in found
    assert "14:15" in found


def test_slots_respect_the_minimum_notice(db: psycopg.Connection[Any]) -> None:
    provider = create_provider(db)
    add_hours(db, provider, [3], "09:00", "17:00")
    service = create_service(db, provider, min_notice_minutes=120)
    found = _wednesday_slots(db, service, now=_wednesday("09:05"))
    assert found[0] == "11:15"


def test_slots_respect_the_maximum_days_ahead(db: psycopg.Connection[Any]) -> None:
    provider = create_provider(db)
    add_hours(db, provider, range(7), "09:00", "17:00")
    service = create_service(db, provider, max_days_ahead=2)
    now = _wednesday("12:00")
    found = slots(db, service, now, now + timedelta(days=10), now=now)
    assert found[-1] == now + timedelta(days=2)
    assert all(t <= now + timedelta(days=2) for t in found)


def test_adjacent_intervals_make_one_working_stretch(db: psycopg.Connection[Any]) -> None:
    provider = create_provider(db)
    add_hours(db, provider, [3], "09:00", "12:00")
    add_hours(db, provider, [3], "12:00", "14:00")
    service = create_service(db, provider, duration_minutes=120)
    assert "11:00" in _wednesday_slots(db, service)


def test_a_lunch_break_is_not_bookable(db: psycopg.Connection[Any]) -> None:
    provider = create_provider(db)
    add_hours(db, provider, [3], "09:00", "12:00")
    add_hours(db, provider, [3], "13:00", "17:00")
    service = create_service(db, provider, duration_minutes=60)
    found = _wednesday_slots(db, service)
    assert "11:00" in found
    assert "11:15" not in found
    assert "12:45" not in found
    assert "13:00" in found


# --- Refusals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2026-12-02T10:00Z", "to": "2026-12-02T10:00Z"}, "to must be after from"),
        ({"from": "2026-12-02T10:00Z", "to": "2026-12-01T10:00Z"}, "to must be after from"),
        ({"from": "2026-12-01T00:00Z", "to": "2027-01-01T00:00:01Z"}, "31 days"),
        ({"step_minutes": 0}, "step_minutes"),
        ({"step_minutes": 1000}, "step_minutes"),
        ({"step_minutes": None}, "step_minutes"),
        ({"from": None}, "from"),
        ({"to": None}, "to"),
        ({"service_id": None}, "service_id"),
    ],
)
def test_a_bad_availability_request_is_a_400_naming_the_field(
    db: psycopg.Connection[Any], buffered: uuid.UUID, args: dict[str, Any], field: str
) -> None:
    params: dict[str, Any] = {
        "service_id": buffered,
        "from": "2026-12-02T00:00Z",
        "to": "2026-12-03T00:00Z",
        "step_minutes": 15,
        **args,
    }
    with pytest.raises(psycopg.Error) as err, acting_as(db, "anon"):
        db.execute(
            "select * from api.available_slots(%(service_id)s, %(from)s, %(to)s, %(step_minutes)s)",
            params,
        )
    assert err.value.sqlstate == "PT400"
    assert err.value.diag.message_hint == "invalid_input"
    assert field in (err.value.diag.message_primary or "")


def test_an_unknown_service_is_a_404(db: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.Error) as err, acting_as(db, "anon"):
        db.execute(
            "select * from api.available_slots(%s, now(), now() + interval '1 day')",
            (uuid.uuid4(),),
        )
    assert err.value.sqlstate == "PT404"


@pytest.mark.parametrize("what", ["service", "provider"])
def test_an_inactive_service_or_provider_has_no_availability(
    db: psycopg.Connection[Any], buffered: uuid.UUID, what: str
) -> None:
    if what == "service":
        db.execute("update app.services set is_active = false where id = %s", (buffered,))
    else:
        db.execute(
            "update app.providers set is_active = false "
            "where id = (select provider_id from app.services where id = %s)",
            (buffered,),
        )
    with pytest.raises(psycopg.Error) as err, acting_as(db, "customer", uuid.uuid4()):
        db.execute(
            "select * from api.available_slots(%s, now(), now() + interval '1 day')", (buffered,)
        )
    assert err.value.sqlstate == "PT404"


def test_anonymous_callers_get_future_slots_from_the_api_function(
    db: psycopg.Connection[Any],
) -> None:
    provider = create_provider(db)
    add_hours(db, provider, range(7), "09:00", "17:00")
    service = create_service(db, provider, min_notice_minutes=60)
    with acting_as(db, "anon"):
        rows = db.execute(
            "select starts_at, ends_at, starts_at > now() from api.available_slots("
            "%s, now(), now() + interval '7 days', 30)",
            (service,),
        ).fetchall()
    assert len(rows) >= 6 * 15
    assert all(future for _, _, future in rows)
    assert all(end - start == timedelta(hours=1) for start, end, _ in rows)

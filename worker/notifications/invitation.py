"""Calendar invitations (iCalendar, RFC 5545/5546) for booking emails.

A confirmation carries ``METHOD:REQUEST``, a cancellation ``METHOD:CANCEL``,
both with the UID ``booking-<id>@bookiji`` so that a calendar updates the same
event, and the producer's ``ics_sequence`` as SEQUENCE (it must grow with each
change for calendars to apply it). Times are written in the provider's zone
(``DTSTART;TZID=America/Toronto:...``) with a VTIMEZONE covering the booking's
year, so that daylight-saving changes land where the provider means them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.headerregistry import Address
from typing import Literal

import icalendar

from worker.notifications.records import Booking, Recipient

Method = Literal["REQUEST", "CANCEL"]

# The events whose email carries an invitation, and its method.
METHODS: dict[str, Method] = {
    "booking_confirmed": "REQUEST",
    "booking_new": "REQUEST",
    "booking_cancelled": "CANCEL",
}


def build(
    booking: Booking,
    method: Method,
    organizer: Address,
    attendee: Recipient,
    now: datetime | None = None,
) -> bytes:
    """The .ics text of one booking event, for one attendee."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Bookiji//Bookings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)

    event = icalendar.Event()
    event.add("uid", booking.uid)
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("sequence", booking.ics_sequence)
    event.add("summary", f"{booking.service_name} — {booking.provider_name}")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    org = icalendar.vCalAddress(f"mailto:{organizer.addr_spec}")
    org.params["cn"] = icalendar.vText(organizer.display_name or "Bookiji")
    event.add("organizer", org)
    att = icalendar.vCalAddress(f"mailto:{attendee.email}")
    att.params["cn"] = icalendar.vText(attendee.full_name)
    att.params["role"] = icalendar.vText("REQ-PARTICIPANT")
    att.params["partstat"] = icalendar.vText("ACCEPTED")
    att.params["rsvp"] = icalendar.vText("FALSE")
    event.add("attendee", att)
    cal.add_component(event)

    # VTIMEZONE for the provider's zone, from the year before to the year after
    year = booking.starts_at.year
    cal.add_missing_timezones(first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))
    return bytes(cal.to_ical())

"""The real-time service: JSON over WebSocket, fed by the event log (docs/realtime.md).

One connection polls the event log for new ids (realtime/cursor.py; no NOTIFY, which
would make every event's transaction commit alone) and fans out to every client; each
delivery is read from api.events under the subscriber's own role and
claims, so row-level security decides who receives what. It imports nothing from
the tooling (bookiji/), like the worker.
"""

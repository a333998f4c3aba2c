"""The always-on sync worker (``python -m connectors worker``, ``make worker``).

``loop`` runs the sources on their schedules (``connectors.core.schedule``); ``lock`` keeps it
the only worker per warehouse; ``status`` is its heartbeat and plan, read by the app; ``hooks``
is the seam after each successful run. See docs/worker.md.
"""

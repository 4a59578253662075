"""The desk: the system of record (people, agents, tickets, conversations, SLAs, KB, outbox).

Services are verb-named functions taking a session first; the HTTP API in ``desk.api`` only
parses, calls them and formats. ``desk`` reaches channels only through ``channels.base``.
"""

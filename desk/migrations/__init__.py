"""Alembic migrations for the desk's schema (``frontdesk db upgrade``)."""

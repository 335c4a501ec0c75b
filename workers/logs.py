"""Logging configuration: one JSON object per line for log shippers, or plain text for a terminal."""

from __future__ import annotations

from typing import Any

from workers.settings import Settings

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"
TEXT_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"


def logging_config(settings: Settings, quiet: tuple[str, ...] = ()) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the worker; extras such as ``article_id`` and ``stage`` become fields. The
    ``quiet`` loggers say only warnings and errors."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        }
        if settings.log_format == "json"
        else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
        },
        "root": {"level": settings.log_level.upper(), "handlers": ["default"]},
        "loggers": {name: {"level": "WARNING"} for name in quiet},
    }

"""How every Kafka client authenticates: the security settings as aiokafka options and as Faust credentials."""

from __future__ import annotations

from ssl import SSLContext
from typing import Any

import faust
from aiokafka.helpers import create_ssl_context
from faust.types.auth import CredentialsT

from workers.settings import Settings


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for aiokafka producers, consumers and admin clients (the one mapping of the settings)."""
    protocol = settings.security_protocol
    options: dict[str, Any] = {"security_protocol": protocol, "ssl_context": _ssl_context(settings)}
    if protocol.startswith("SASL_"):
        options |= {
            "sasl_mechanism": settings.sasl_mechanism,
            "sasl_plain_username": settings.sasl_username,
            "sasl_plain_password": settings.sasl_password.get_secret_value(),
        }
    return options


def broker_credentials(settings: Settings) -> CredentialsT | None:
    """Faust's ``broker_credentials`` carrying the same options; Faust hands them on to its aiokafka clients."""
    options = client_options(settings)
    match options["security_protocol"]:
        case "PLAINTEXT":
            return None
        case "SSL":
            return faust.SSLCredentials(options["ssl_context"])
        case _:  # SASL_PLAINTEXT, or SASL_SSL: Faust picks the protocol from whether there is an ssl_context
            return faust.SASLCredentials(
                username=options["sasl_plain_username"],
                password=options["sasl_plain_password"],
                mechanism=options["sasl_mechanism"],
                ssl_context=options["ssl_context"],
            )


def _ssl_context(settings: Settings) -> SSLContext | None:
    """A verifying TLS context for the SSL protocols (the system's CAs unless ``ssl_cafile``); None otherwise."""
    if not settings.security_protocol.endswith("SSL"):
        return None
    return create_ssl_context(cafile=settings.ssl_cafile, certfile=settings.ssl_certfile, keyfile=settings.ssl_keyfile)

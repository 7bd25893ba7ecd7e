"""Derived names: what the generated code calls the things a spec declares."""

from __future__ import annotations

from specforge.layout import pascal


def controller_class(domain: str) -> str:
    return f"{pascal(domain)}Controller"


def domain_error_class(domain: str) -> str:
    return f"{pascal(domain)}Error"


def error_class(domain: str, phrase: str) -> str:
    """The exception a controller raises for a declared error kind: `UsersNotFound`."""
    return f"{pascal(domain)}{phrase}"


def client_class(service: str) -> str:
    return f"{pascal(service)}Client"


def client_error_class(service: str) -> str:
    return f"{pascal(service)}Error"


def client_error_subclass(service: str, phrase: str) -> str:
    """The exception a client raises for a declared error kind: `BackendNotFound`."""
    return f"{pascal(service)}{phrase}"


def event_constant(event: str) -> str:
    return event.upper()


def publisher(event: str) -> str:
    return f"publish_{event}"


def subscriber(event: str) -> str:
    return f"subscribe_{event}"


def url_env(service: str) -> str:
    return f"{service.upper()}_URL"

"""The spec language's keys and name grammars: what each kind of entry accepts, and how names
are spelled. Readers check keys against these tables, so an unknown key is always an error."""

from __future__ import annotations

import re

from specforge import ir, namespace

PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")
PACKAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# What Redis streams, NATS subjects, RabbitMQ exchanges and Kafka topics all accept.
CHANNEL = re.compile(r"(?=.{1,200}$)[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")

NUMERIC_CONSTRAINTS = ("ge", "gt", "le", "lt")
LENGTH_CONSTRAINTS = ("min_length", "max_length")
ITEM_CONSTRAINTS = ("min_items", "max_items")
FORMATS = ("email", "uri")
# Variants that leave out the fields marked `readonly` (what a client sends, not what it gets).
READONLY_DROPPING_VARIANTS = ("Create", "Update")
COMPOSE_CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
# Infrastructure services that infra/compose.yml defines next to the registry's services.
INFRA_SERVICES = namespace.INFRA_SERVICES
IDENTIFIER = namespace.IDENTIFIER

NUMERIC_KINDS = (ir.ScalarKind.INT, ir.ScalarKind.FLOAT, ir.ScalarKind.DECIMAL)
LENGTH_KINDS = (ir.ScalarKind.STRING, ir.ScalarKind.BYTES)

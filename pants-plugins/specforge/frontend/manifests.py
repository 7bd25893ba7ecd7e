"""Manifests (pass 2): every consumed service, domain and operation resolved against the
producers' built domains."""

from __future__ import annotations

from specforge import ir
from specforge.errors import Location, suggest
from specforge.frontend.context import Resolution
from specforge.frontend.external import build_api_consumptions


def build_manifests(ctx: Resolution, domains: list[ir.Domain]) -> list[ir.Manifest]:
    by_service: dict[str, dict[str, ir.Domain]] = {}
    for d in domains:
        by_service.setdefault(d.service, {})[d.name] = d
    declared_domains: dict[str, set[str]] = {}
    # Operations that are declared but invalid were reported where they are declared.
    invalid_ops: set[tuple[str, str, str]] = set()
    for raw in ctx.raw.domains:
        assert raw.spec.service is not None
        declared_domains.setdefault(raw.spec.service, set()).add(raw.name)
        built = by_service.get(raw.spec.service, {}).get(raw.name)
        for raw_op in raw.operations:
            op = built.operation(raw_op.name) if built is not None else None
            if op is None or (raw_op.rest_reader is not None and op.rest is None):
                invalid_ops.add((raw.spec.service, raw.name, raw_op.name))
    registry_names = (
        [s.name for s in ctx.raw.registry.services] if ctx.raw.registry is not None else None
    )
    manifests: list[ir.Manifest] = []
    for m in ctx.raw.manifests:
        consumer = m.spec.service
        assert consumer is not None
        consumes: list[ir.Consumption] = []
        seen_entries: dict[tuple[str, str], Location] = {}
        method_names: dict[tuple[str, str], str] = {}
        for c in m.consumes:
            svc = c.service.value
            if registry_names is not None and svc not in registry_names:
                ctx.diags.error(
                    c.service.loc,
                    c.service.path,
                    f"unknown service '{svc}'{suggest(svc, registry_names)}; "
                    "consumed services must be in services.yml",
                )
                continue
            known = declared_domains.get(svc, set())
            if c.domain.value not in known:
                where = (
                    f"; it has: {', '.join(sorted(known))}"
                    if known
                    else f" (no services/{svc}/spec/{c.domain.value}.yaml)"
                )
                ctx.diags.error(
                    c.domain.loc,
                    c.domain.path,
                    f"service '{svc}' has no domain '{c.domain.value}'"
                    f"{suggest(c.domain.value, known)}{where}",
                )
                continue
            if (svc, c.domain.value) in seen_entries:
                first = seen_entries[(svc, c.domain.value)]
                ctx.diags.error(
                    c.loc,
                    c.path,
                    f"'{svc}/{c.domain.value}' is already consumed at line {first.line}; "
                    "list all its operations in one entry",
                )
                continue
            seen_entries[(svc, c.domain.value)] = c.loc
            domain = by_service.get(svc, {}).get(c.domain.value)
            if domain is None:
                continue  # the producer's domain spec is invalid; reported there
            ops: list[ir.Operation] = []
            op_names = [o.name for o in domain.operations]
            for ref in c.operations:
                if (svc, domain.name, ref.value) in invalid_ops:
                    continue
                op = domain.operation(ref.value)
                if op is None:
                    ctx.diags.error(
                        ref.loc,
                        ref.path,
                        f"'{svc}/{domain.name}' has no operation '{ref.value}'"
                        f"{suggest(ref.value, op_names)}",
                    )
                    continue
                if op in ops:
                    ctx.diags.error(ref.loc, ref.path, f"'{ref.value}' is listed twice")
                    continue
                if op.rest is None:
                    ctx.diags.error(
                        ref.loc,
                        ref.path,
                        f"operation '{ref.value}' has no REST transport, so there is no "
                        "client method to call it; publish its event instead",
                    )
                    continue
                clash = method_names.get((svc, op.name))
                if clash is not None:
                    ctx.diags.error(
                        ref.loc,
                        ref.path,
                        f"'{op.name}' is also consumed from '{svc}/{clash}'; one client "
                        "cannot have two methods of the same name",
                    )
                    continue
                method_names[(svc, op.name)] = domain.name
                ops.append(op)
            consumes.append(ir.Consumption(svc, domain, tuple(ops), c.loc))
        consumed = {c.service for c in consumes}
        consumes += build_api_consumptions(ctx, consumer, m.apis, consumed)
        manifests.append(ir.Manifest(consumer, m.spec.path, tuple(consumes)))
    return manifests

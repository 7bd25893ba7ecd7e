"""Events (pass 2): message models resolved, channels unique."""

from __future__ import annotations

from specforge import ir
from specforge.errors import Location, suggest
from specforge.frontend.context import Resolution
from specforge.frontend.scope import lookup, visible_names


def build_events(ctx: Resolution) -> dict[str, ir.Event]:
    events: dict[str, ir.Event] = {}
    first: dict[str, Location] = {}
    channels: dict[str, str] = {}
    for e in ctx.raw.events:
        if e.name in first:
            ctx.diags.error(
                e.loc,
                e.path,
                f"duplicate event '{e.name}': already defined at "
                f"{first[e.name].file}:{first[e.name].line}",
            )
            continue
        first[e.name] = e.loc
        if e.message is None:
            continue
        found = lookup(ctx, ir.SHARED, e.message.value)
        if found is None and e.message.value in ctx.rejected_names:
            continue  # its definition was rejected; reported there
        if found is None or found not in ctx.ir_models:
            if found is not None and found in ctx.ir_enums:
                msg = f"message '{e.message.value}' is an enum; an event carries a model"
            else:
                msg = (
                    f"unknown message model '{e.message.value}'"
                    f"{suggest(e.message.value, visible_names(ctx, ir.SHARED))}; events "
                    "carry models from shared/spec/models.yaml"
                )
            if found is None or found in ctx.ir_enums:
                ctx.diags.error(e.message.loc, e.message.path, msg)
            continue
        if e.channel in channels:
            ctx.diags.error(
                e.channel_loc,
                e.path + ".channel",
                f"channel '{e.channel}' is already used by event '{channels[e.channel]}'",
            )
            continue
        channels[e.channel] = e.name
        events[e.name] = ir.Event(
            name=e.name,
            message=ctx.ir_models[found],
            loc=e.loc,
            file=e.file,
            publish=e.publish,
            subscribe=e.subscribe,
            channel=e.channel,
            description=e.description,
        )
    ctx.event_names = list(first)
    return events

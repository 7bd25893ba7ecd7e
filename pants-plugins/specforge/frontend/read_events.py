"""Reading `shared/spec/events.yaml` into raw, located events (pass 1)."""

from __future__ import annotations

from specforge import namespace
from specforge.frontend.keys import CHANNEL, SNAKE
from specforge.frontend.raw import LocatedName, RawEvent, RawSpecs
from specforge.frontend.shapes import check_shape
from specforge.layout import SpecFile
from specforge.reader import Reader


def read_events(raw: RawSpecs, spec: SpecFile, top: Reader) -> None:
    check_shape(top, "events_file")
    events = top.mapping("events")
    if events is None:
        return
    for key, value in events.entries():
        name = str(key.value)
        r = events.child(key, value, "an event")
        if r is None:
            continue
        if not SNAKE.match(name):
            raw.diags.error(
                key.loc, r.path, f"event name '{name}' must be snake_case, like user_registered"
            )
            continue
        problem = namespace.event_name_problem(name)
        if problem:
            raw.diags.error(key.loc, r.path, f"event name {problem}; rename the event")
            continue
        check_shape(r, "event")
        message = r.string("message", allow_empty=False)
        channel = r.string("channel", allow_empty=False)
        if channel is not None and not CHANNEL.fullmatch(channel):
            r.error(
                "channel",
                f"channel '{channel}' is not usable on every broker: use letters, digits, "
                "'_' and '-', in words separated by single dots (at most 200 characters), "
                "like users.registered",
            )
            channel = None
        raw.events.append(
            RawEvent(
                name=name,
                loc=key.loc,
                path=r.path,
                file=spec.path,
                message=(
                    LocatedName(message, r.loc("message"), r.sub("message")) if message else None
                ),
                publish=r.boolean("publish"),
                subscribe=r.boolean("subscribe"),
                channel=channel or name,
                channel_loc=r.loc("channel") if channel else key.loc,
                description=r.text("description"),
            )
        )

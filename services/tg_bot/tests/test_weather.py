"""tg_bot's client of an external API (`spec/weather.openapi.yaml`), generated from the
third party's OpenAPI document: its models by datamodel-code-generator, the client by specforge.
A fake of the API, written from the document, answers on a loopback port through uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest
import uvicorn
from fastapi import FastAPI, HTTPException

from tg_bot.generated.clients import (
    WeatherClient,
    WeatherError,
    WeatherNotFound,
    WeatherUnprocessableContent,
)
from tg_bot.generated.external.weather import Day, Forecast, Observation, Summary

CALLS: list[str] = []


def fake_weather() -> FastAPI:
    """The weather API as its document describes it, with one city and one flaky answer."""
    app = FastAPI()
    flaky = {"Bergen": 2}  # answers 503 this many times first

    @app.get("/forecasts/{city}")
    async def get_forecast(city: str, days: int = 3) -> dict[str, object]:
        CALLS.append(f"GET {city} days={days}")
        if flaky.get(city, 0) > 0:
            flaky[city] -= 1
            raise HTTPException(503, "recomputing")
        if city not in ("Oslo", "Bergen"):
            raise HTTPException(404, "Unknown city.")
        day = {"date": "2026-12-01", "high_c": 2.5, "low_c": -3.0, "summary": "snow"}
        return {"city": city, "days": [day] * days}

    @app.post("/observations", status_code=201)
    async def report_observation(body: dict[str, object]) -> dict[str, object]:
        CALLS.append(f"POST {body}")
        if not -90 <= float(str(body["temperature_c"])) <= 60:
            raise HTTPException(422, "Not a plausible observation.")
        return body

    return app


@pytest.fixture
def weather_url() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(fake_weather(), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():  # set once it listens
        time.sleep(0.01)
    assert server.started
    CALLS.clear()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join()
    sock.close()


async def test_typed_answers(weather_url: str) -> None:
    async with WeatherClient(weather_url) as weather:
        forecast = await weather.get_forecast("Oslo", days=2)
        assert isinstance(forecast, Forecast) and forecast.city == "Oslo"
        assert (
            forecast.days
            == [Day(date=date(2026, 12, 1), high_c=2.5, low_c=-3.0, summary=Summary.snow)] * 2
        )
        # Without `days`, the client sends nothing and the API's default applies.
        assert len((await weather.get_forecast("Oslo")).days) == 3
        sent = Observation(city="Oslo", temperature_c=-4.5)
        assert await weather.report_observation(sent) == sent
    # Only what was set is sent: `note` is absent, not null (which the document does not allow).
    assert CALLS == [
        "GET Oslo days=2",
        "GET Oslo days=3",
        "POST {'city': 'Oslo', 'temperature_c': -4.5}",
    ]


async def test_declared_errors_are_typed_and_5xx_is_retried(weather_url: str) -> None:
    async with WeatherClient(weather_url, backoff=0) as weather:
        with pytest.raises(WeatherNotFound) as missing:
            await weather.get_forecast("Atlantis")
        assert missing.value.status_code == 404 and missing.value.detail == "Unknown city."
        # A GET is idempotent: two 503s, then the forecast.
        assert (await weather.get_forecast("Bergen")).city == "Bergen"
        assert CALLS.count("GET Bergen days=3") == 3
        # The models check the document's constraints before anything is sent...
        with pytest.raises(ValueError, match="less than or equal to 60"):
            Observation(city="Oslo", temperature_c=65.0)
        # ...and a declared error of the API, however it comes, is its typed exception.
        with pytest.raises(WeatherUnprocessableContent) as rejected:
            await weather.report_observation(
                Observation.model_construct(city="Oslo", temperature_c=65.0)
            )
        assert rejected.value.detail == "Not a plausible observation."
    assert issubclass(WeatherNotFound, WeatherError)

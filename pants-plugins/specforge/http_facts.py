"""HTTP facts the spec language relies on: the methods an operation may use, which of them are
idempotent (and so retried by generated clients), default success statuses, and the reason
phrases that name declared errors. A leaf module: the frontend and the renderers read it."""

from __future__ import annotations

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Methods whose repetition has the effect of one call (RFC 9110, 9.2.2): safe to retry.
IDEMPOTENT_METHODS = ("GET", "PUT", "DELETE")
# A `rest` without `status` answers 201 to POST, 204 to DELETE and 200 otherwise.
DEFAULT_STATUS = {"POST": 201, "DELETE": 204}


def default_status(method: str) -> int:
    return DEFAULT_STATUS.get(method, 200)


# Reason phrases per RFC 9110, fixed here so that generated exception names do not depend on
# the Python version the engine runs on (http.HTTPStatus renamed some of them in 3.13).
STATUS_PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    417: "Expectation Failed",
    421: "Misdirected Request",
    422: "Unprocessable Content",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    507: "Insufficient Storage",
}


def status_phrase(status: int) -> str:
    return STATUS_PHRASES.get(status, f"Status {status}")

"""Binance's error answers: `{"code": <negative int>, "msg": ...}` with the documented texts (binance.md §7)."""

from __future__ import annotations

MESSAGES = {
    -1000: "An unknown error occured while processing the request.",
    -1001: "Internal error; unable to process your request. Please try again.",
    -1003: "Too many requests; current limit is %s requests per minute. Please use the websocket for live "
           "updates to avoid polling the API.",
    -1006: "An unexpected response was received from the message bus. Execution status unknown.",
    -1007: "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    -1021: "Timestamp for this request is outside of the recvWindow.",
    -1022: "Signature for this request is not valid.",
    -1102: "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
    -1121: "Invalid symbol.",
    -1130: "Data sent for parameter '%s' is not valid.",
    -2014: "API-key format invalid.",
    -2015: "Invalid API-key, IP, or permissions for action.",
    -2019: "Margin is insufficient.",
    -2027: "Exceeded the maximum allowable position at current leverage.",
    -2028: "Leverage is smaller than permitted: insufficient margin balance.",
    -4028: "Leverage %s is not valid",
    -4046: "No need to change margin type.",
    -4047: "Margin type cannot be changed if there exists open orders.",
    -4048: "Margin type cannot be changed if there exists position.",
    -4049: "Add margin only support for isolated position.",
    -4050: "Cross balance insufficient.",
    -4051: "Isolated balance insufficient.",
    -4054: "Cannot add position margin: position is 0.",
    -4055: "Amount must be positive.",
    -4059: "No need to change position side.",
    -4060: "Invalid position side.",
    -4067: "Position side cannot be changed if there exists open orders.",
    -4068: "Position side cannot be changed if there exists position.",
    -4161: "Leverage reduction is not supported in Isolated Margin Mode with open positions",
    -4167: "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures under isolated-margin mode.",
    -4168: "Unable to adjust to isolated-margin mode under the Multi-Assets mode.",
    -4170: "Unable to adjust Multi-Assets Mode with open orders.",
    -4171: "Adjusted asset mode is currently set and does not need to be adjusted repeatedly.",
}

# HTTP statuses of the codes the simulator raises itself that are not 400 (binance.md §1, §6).
STATUSES = {-1003: 429, -2014: 401, -2015: 401}


class BinanceError(Exception):
    """A refusal: the HTTP status, Binance's code and its message (the documented one unless given)."""

    def __init__(self, code: int, *args: object, status: int | None = None, msg: str | None = None):
        text = msg or MESSAGES.get(code, f"Simulated venue error {code}")
        if args:
            text = text % args
        super().__init__(text)
        self.code = code
        self.msg = text
        self.status = status or STATUSES.get(code, 400)

    def body(self) -> dict:
        return {"code": self.code, "msg": self.msg}


def missing(name: str) -> BinanceError:
    return BinanceError(-1102, name)


def invalid(name: str) -> BinanceError:
    return BinanceError(-1130, name)

"""Unit and property tests of the pure diff (no I/O): statuses, order, dependencies, comparisons."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.diff import diff_account
from reconciler.model import AccountLive, AccountSpec, Band, Order, Position, SymbolLive, SymbolSpec
from reconciler.venues.bitget import BitgetAdapter


def spec(symbols, settings=None):
    return AccountSpec(name="a", venue="bitget", environment="sim", base_url=None, credentials={},
                       settings=settings or {}, symbols={s.symbol: s for s in symbols},
                       options={"product_type": "USDT-FUTURES"})


def live_symbol(symbol, mode="cross", cross="10", long="10", short="10", max_leverage="125"):
    return SymbolLive(symbol, mode, {("cross", None): D(cross), ("isolated", "long"): D(long),
                                     ("isolated", "short"): D(short)}, max_leverage=D(max_leverage),
                      min_leverage=D(1))


def run(account, live):
    rules = BitgetAdapter(account)
    result = diff_account(account, live, rules)
    rules.assign_calls(result.changes, live)
    return result


def test_matching_settings_are_not_changes_and_leverage_compares_as_numbers():
    account = spec([SymbolSpec("BTCUSDT", "cross", D("5"))])
    live = AccountLive(settings={"position_mode": "net"}, symbols={"BTCUSDT": live_symbol("BTCUSDT", cross="5.00000000")})
    result = run(account, live)
    assert result.changes == []
    assert result.in_sync == ["a/BTCUSDT/margin_mode", "a/BTCUSDT/leverage/cross"]


def test_order_is_margin_mode_then_leverage_then_margin_with_dependencies():
    account = spec([SymbolSpec("BTCUSDT", "isolated", D(5), isolated_margin=D(500))])
    live = AccountLive(settings={"position_mode": "net"}, symbols={"BTCUSDT": live_symbol("BTCUSDT", mode="isolated")},
                       positions=[Position("BTCUSDT", "isolated", "long", D(1), D(300))])
    result = run(account, live)
    assert [c.field for c in result.changes] == ["leverage", "leverage", "isolated_margin"]
    margin = result.changes[-1]
    assert margin.depends_on == ["a/BTCUSDT/leverage/isolated/long", "a/BTCUSDT/leverage/isolated/short"]
    assert margin.calls[0].body["amount"] == "200"
    # one-way isolated: both sides in one call with `leverage`
    assert result.changes[0].calls == result.changes[1].calls
    assert result.changes[0].calls[0].body["leverage"] == "5"


def test_blocked_margin_mode_blocks_what_waits_on_it_and_names_the_position():
    account = spec([SymbolSpec("BTCUSDT", "isolated", D(5))])
    live = AccountLive(settings={"position_mode": "net"}, symbols={"BTCUSDT": live_symbol("BTCUSDT")},
                       positions=[Position("BTCUSDT", "cross", "long", D("0.5"), D(100))],
                       orders=[Order("BTCUSDT", "cross", "order 7 BTCUSDT buy 1 @ 100")])
    result = run(account, live)
    assert [c.status for c in result.changes] == ["blocked", "blocked", "blocked"]
    assert "open cross position BTCUSDT long size 0.5" in result.changes[0].reason
    assert "pending order order 7" in result.changes[0].reason
    assert result.changes[1].reason.startswith("waits on a/BTCUSDT/margin_mode (blocked)")
    assert all(not c.calls for c in result.changes)


def test_orders_on_other_symbols_do_not_block():
    account = spec([SymbolSpec("BTCUSDT", "isolated")])
    live = AccountLive(settings={}, symbols={"BTCUSDT": live_symbol("BTCUSDT")},
                       orders=[Order("ETHUSDT", "cross", "order on ETHUSDT")])
    assert [c.status for c in run(account, live).changes] == ["change"]


def test_isolated_margin_without_a_position_is_not_applicable():
    account = spec([SymbolSpec("BTCUSDT", "isolated", isolated_margin=D(500))])
    live = AccountLive(settings={}, symbols={"BTCUSDT": live_symbol("BTCUSDT", mode="isolated")})
    result = run(account, live)
    assert result.changes == []
    assert result.not_applicable == [{"id": "a/BTCUSDT/isolated_margin", "reason": "no open isolated position"}]


def test_margin_tolerance_and_band():
    live = AccountLive(settings={}, symbols={"BTCUSDT": live_symbol("BTCUSDT", mode="isolated")},
                       positions=[Position("BTCUSDT", "isolated", "long", D(1), D("502"))])
    assert run(spec([SymbolSpec("BTCUSDT", "isolated", isolated_margin=D(500))]), live).changes == []
    tight = SymbolSpec("BTCUSDT", "isolated", isolated_margin=D(500), tolerance=D("0.1"))
    assert len(run(spec([tight]), live).changes) == 1
    band = SymbolSpec("BTCUSDT", "isolated", isolated_margin=Band(D(400), D(450)))
    change = run(spec([band]), live).changes[0]
    assert (change.from_, change.to) == ("502", "450")
    assert change.calls[0].body["amount"] == "-52"


def test_hedge_mode_long_and_short_leverage_share_one_call():
    account = spec([SymbolSpec("ETHUSDT", "isolated", {"long": D(20), "short": D(15)})], {"position_mode": "hedge"})
    live = AccountLive(settings={"position_mode": "hedge"}, symbols={"ETHUSDT": live_symbol("ETHUSDT", mode="isolated")})
    changes = run(account, live).changes
    assert len(changes) == 2 and changes[0].calls[0] is changes[1].calls[0]
    assert changes[0].calls[0].body["longLeverage"] == "20" and changes[0].calls[0].body["shortLeverage"] == "15"


def test_hedge_mode_one_side_sends_hold_side():
    account = spec([SymbolSpec("ETHUSDT", "isolated", {"long": D(20), "short": D(10)})], {"position_mode": "hedge"})
    live = AccountLive(settings={"position_mode": "hedge"}, symbols={"ETHUSDT": live_symbol("ETHUSDT", mode="isolated")})
    (change,) = run(account, live).changes
    assert change.calls[0].body["holdSide"] == "long" and change.calls[0].body["leverage"] == "20"


def test_leverage_above_the_cap_is_blocked_with_advice():
    account = spec([SymbolSpec("BTCUSDT", "cross", D(200))])
    live = AccountLive(settings={}, symbols={"BTCUSDT": live_symbol("BTCUSDT")})
    (change,) = run(account, live).changes
    assert change.status == "blocked" and "lower it in the file" in change.reason


def test_position_mode_comes_first_and_symbol_changes_wait_on_it():
    account = spec([SymbolSpec("BTCUSDT", "cross", D(7))], {"position_mode": "hedge"})
    live = AccountLive(settings={"position_mode": "net"}, symbols={"BTCUSDT": live_symbol("BTCUSDT")})
    changes = run(account, live).changes
    assert [c.id for c in changes] == ["a/position_mode", "a/BTCUSDT/leverage/cross"]
    assert changes[1].depends_on == ["a/position_mode"]


# --- property: applying a plan's changes to the live state leaves only blocked and conflict items ---

MODES = st.sampled_from(["cross", "isolated"])
LEVER = st.integers(min_value=1, max_value=150).map(D)


@st.composite
def scenario(draw):
    hedge = draw(st.booleans())
    symbols, live_symbols, positions = [], {}, []
    for name in draw(st.lists(st.sampled_from(["AUSDT", "BUSDT", "CUSDT", "DUSDT"]), min_size=1, unique=True)):
        mode = draw(MODES)
        leverage = draw(LEVER)
        if hedge and mode == "isolated" and draw(st.booleans()):
            leverage = {"long": draw(LEVER), "short": draw(LEVER)}
        margin = draw(st.none() | st.integers(0, 2000).map(D) | st.tuples(st.integers(0, 1000), st.integers(0, 1000))
                      .map(lambda t: Band(D(min(t)), D(max(t)))))
        symbols.append(SymbolSpec(name, mode, leverage, margin if mode == "isolated" else None))
        live_symbols[name] = live_symbol(name, mode=draw(MODES), cross=str(draw(LEVER)), long=str(draw(LEVER)),
                                         short=str(draw(LEVER)), max_leverage="125")
        for side in draw(st.lists(st.sampled_from(["long", "short"]), unique=True, max_size=2 if hedge else 1)):
            positions.append(Position(name, draw(MODES), side, D(1), draw(st.integers(0, 2000).map(D))))
    live_mode = draw(st.sampled_from(["net", "hedge"]))
    account = spec(symbols, {"position_mode": "hedge" if hedge else "net"})
    return account, AccountLive(settings={"position_mode": live_mode}, symbols=live_symbols, positions=positions)


def apply_changes(live: AccountLive, changes) -> AccountLive:
    """What the venue would look like if every `change` item took effect (a model, not an adapter)."""
    for change in changes:
        if change.status != "change":
            continue
        if change.field == "position_mode":
            live.settings["position_mode"] = change.to
        elif change.field == "margin_mode":
            live.symbols[change.symbol].margin_mode = change.to
        elif change.field == "leverage":
            live.symbols[change.symbol].leverage[(change.margin_mode, change.side)] = D(change.to)
        elif change.field == "isolated_margin":
            live.positions = [Position(p.symbol, p.margin_mode, p.side, p.size, D(change.to))
                              if (p.symbol, p.side, p.margin_mode) == (change.symbol, change.side, "isolated") else p
                              for p in live.positions]
    return live


@settings(max_examples=300, deadline=None)
@given(scenario())
def test_applying_the_changes_leaves_only_blocked_and_conflicts(case):
    account, live = case
    first = run(account, live)
    second = run(account, apply_changes(live, first.changes))
    assert {c.status for c in second.changes} <= {"blocked", "conflict"}
    assert {c.id for c in second.changes} <= {c.id for c in first.changes if c.status != "change"}


@settings(max_examples=200, deadline=None)
@given(scenario())
def test_the_diff_is_deterministic_and_every_dependency_precedes(case):
    account, live = case
    first, again = run(account, live), run(account, live)
    assert [c.to_json() for c in first.changes] == [c.to_json() for c in again.changes]
    seen = set()
    for change in first.changes:
        assert set(change.depends_on) <= seen
        seen.add(change.id)
        assert (change.status == "change") == bool(change.calls)

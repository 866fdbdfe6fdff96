"""AccountLive finds positions and orders by symbol through an index that follows its lists."""

from __future__ import annotations

from decimal import Decimal

from reconciler.model import AccountLive, Order, Position


def test_positions_and_orders_by_symbol_follow_the_lists():
    live = AccountLive(positions=[Position("A", "cross", None, Decimal(1)), Position("B", "isolated", None, Decimal(0)),
                                  Position("A", "isolated", "long", Decimal(2))],
                       orders=[Order("B", "cross", "b1"), Order("A", "cross", "a1"), Order("B", "isolated", "b2")])
    assert [p.margin_mode for p in live.positions_of("A")] == ["cross", "isolated"]
    assert live.positions_of("B") == []  # a flat position is not open
    assert [o.description for o in live.orders_of("B")] == ["b1", "b2"]
    assert [o.description for o in live.orders_among({"A", "B"})] == ["b1", "a1", "b2"]  # as the venue listed

    live.orders.append(Order("A", "isolated", "a2"))  # an index never hides what was added later
    assert [o.description for o in live.orders_of("A")] == ["a1", "a2"]
    live.positions = [Position("C", "cross", None, Decimal(3))]  # nor what replaced the list
    assert live.positions_of("A") == [] and len(live.positions_of("C")) == 1
    assert live.orders_of("Z") == [] and live.orders_among([]) == []

from cityops.app.orders import usecases as uc


def test_an_order_goes_from_intake_to_close(box, district, clock):
    a = district.actors
    o = uc.create_order(box.uow(), a["op"], uc.NewOrder(text="小区封控三天了，家里没菜了", urgency="urgent",
                                                       category="epi.supplies", caller_phone="13912345678"), clock())
    assert o.number.startswith("220325")
    o = uc.dispatch_order(box.uow(), a["op"], o.number, "S1C1", [], clock.advance(minutes=5))
    o = uc.accept_order(box.uow(), a["s1c1"], o.number, clock.advance(minutes=5))
    o = uc.submit_feedback(box.uow(), a["s1c1"], o.number, "已送菜上门", True, clock.advance(minutes=60))
    o = uc.record_callback(box.uow(), a["op"], o.number, "satisfied", True, clock.advance(minutes=10))
    o = uc.close_order(box.uow(), a["op"], o.number, clock.advance(minutes=1))
    assert o.state == "closed"

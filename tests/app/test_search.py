"""Search (issue 13, `app.search` through `app.queries`): every filter and every order, checked
against a plain-Python reading of the same tenders; paging yields each match once; who bid is
never searchable before the opening; the projection agrees with a rebuild from the log."""

from __future__ import annotations

import json
import os
import random
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tenderproof.app import queries, search
from tenderproof.app.rebuild import rebuild
from tenderproof.app.search import Search
from tenderproof.app.service import Procurement
from tenderproof.instance import Settings, init
from tenderproof.store.schema import tender_terms, tenders

from ..conftest import PG_ENV, _pg_schema_url
from .conftest import OPENERS, TID, assert_nobody_named

WORDS = ["cloud", "clouds", "paper", "desk", "defense", "defence", "road", "bridge", "jedi", "école"]
BUYERS = [("dod", "Department of Defense"), ("city", "City Procurement Office"), ("gb-moh", "Ministry of Health")]
SUPPLIERS = [("msft", "Microsoft Corporation"), ("aws", "Amazon Web Services"), ("acme", "ACME Ltd")]
CLASSES = [("CPV", "72000000"), ("CPV", "72200000"), ("UNSPSC", "81112000"), ("CPV", "30197630")]
STATUSES = ["draft", "active.tendering", "active.evaluation", "complete", "cancelled"]
DAY0 = date(2020, 1, 1)


def synthetic(i: int, rnd: random.Random) -> dict:
    """A tender's state as far as a list and a search read it (the projection's input)."""
    status = rnd.choice(STATUSES)
    published = None if status == "draft" else f"{DAY0 + timedelta(days=rnd.randrange(400))}T{rnd.randrange(24):02}:00:00Z"
    opened = status in ("active.evaluation", "complete", "cancelled") and rnd.random() < 0.8
    bidders = rnd.sample(SUPPLIERS, rnd.randrange(len(SUPPLIERS) + 1))
    awards = []
    if status in ("complete", "cancelled") and bidders:
        sid, name = rnd.choice(bidders)
        awards = [{"id": "a1", "date": f"{DAY0 + timedelta(days=400 + rnd.randrange(60))}T10:00:00Z",
                   "supplier": {"id": sid, "name": name}, "supersedes": None}]
    buyer = rnd.choice(BUYERS)
    scheme, code = rnd.choice(CLASSES)
    value = None if rnd.random() < 0.1 else {"amount": f"{rnd.randrange(1, 10**7)}.{rnd.randrange(100):02}",
                                             "currency": rnd.choice(["EUR", "USD"])}
    return {
        "id": f"T-{i:03}", "title": " ".join(rnd.sample(WORDS, 2)), "description": rnd.choice(WORDS),
        "buyer": {"id": buyer[0], "name": buyer[1]}, "status": status, "published": published,
        "periods": {"tender_end": f"{DAY0 + timedelta(days=rnd.randrange(30, 430))}T18:00:00Z"},
        "items": [{"id": "i1", "description": "x", "classification": {"scheme": scheme, "id": code}}],
        "value": value, "awards": awards, "opened": "2021-01-01T00:00:00Z" if opened else None,
        "bids": {f"b{j}": {"bidder": sid, "bidder_name": name, "status": "opened" if opened else "submitted"}
                 for j, (sid, name) in enumerate(bidders)},
    }


def load(p: Procurement, states: list[dict]) -> None:
    """Projection rows straight into the tables, from the projection's own functions."""
    rows, terms = [], []
    for s in states:
        core = {k: v for k, v in s.items() if k != "bids"}
        rows.append({"id": s["id"], "status": s["status"], "seq": 1, "title": s["title"],
                     "state": json.dumps(core), **search.columns(s)})
        terms += search.terms(s)
    with p.db.writer.begin() as conn:
        conn.execute(sa.insert(tenders), rows)
        conn.execute(sa.insert(tender_terms), terms)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """80 synthetic tenders, on PostgreSQL when the suite runs there, else SQLite."""
    d = tmp_path_factory.mktemp("search")
    base = os.environ.get(PG_ENV)
    engine, schema, url = _pg_schema_url(base) if base else (None, "", f"sqlite:///{d / 'db.sqlite'}")
    log = init(Settings(d / "data", url))
    p = Procurement(log, d / "data")
    states = [synthetic(i, random.Random(i)) for i in range(80)]
    load(p, states)
    yield p, {s["id"]: s for s in states}
    log.db.dispose()
    if engine is not None:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


# --- the oracle: the same search, read in plain Python --------------------------------------


def _fields(s: dict) -> dict[str, set[str]]:
    def w(*texts):
        return {x for t in texts for x in search.words(t)}
    opened = [b for b in s["bids"].values() if b["status"] == "opened"] if s["opened"] else []
    return {"text": w(s["title"], s["description"], s["id"]), "buyer": w(s["buyer"]["id"], s["buyer"]["name"]),
            "supplier": w(*(f"{a['supplier']['id']} {a['supplier']['name']}" for a in s["awards"])),
            "bidder": w(*(f"{b['bidder']} {b['bidder_name']}" for b in opened)),
            "class": {x for i in s["items"] for x in (i["classification"]["scheme"].lower(), i["classification"]["id"],
                                                        f"{i['classification']['scheme'].lower()}:{i['classification']['id']}")}}


def _has(words: set[str], text: str, scheme_code: bool = False) -> bool:
    asked = search.words(text)
    if scheme_code and len(asked) > 1 and asked[0].isalpha() and asked[1].isdigit():  # "CPV 72" is one word
        asked = [f"{asked[0]}:{asked[1]}", *asked[2:]]
    return bool(asked) and all(any(x.startswith(a) for x in words) for a in asked)


def matches(s: dict, q: Search) -> bool:
    f = _fields(s)
    cols = search.columns(s)
    texts = [(set().union(*f.values()), q.q), (f["buyer"], q.buyer), (f["supplier"], q.supplier),
             (f["bidder"], q.bidder)]
    if any(text.strip() and not _has(words, text) for words, text in texts):
        return False
    if q.classification.strip() and not _has(f["class"], q.classification, scheme_code=True):
        return False
    if (q.status and s["status"] != q.status) or (q.currency and cols["currency"] != q.currency):
        return False
    if (q.value_min is not None and cols["amount"] < q.value_min) or (q.value_max is not None and cols["amount"] > q.value_max):
        return False
    for name, (start, end) in q.dates.items():
        at = cols[{"deadline": "tender_end"}.get(name, name)]
        if (start and at < start.isoformat()) or (end and (not at or at[:10] > end.isoformat())):
            return False
    return True


def key(s: dict, q: Search):
    cols = {**search.columns(s), "id": s["id"], "title": s["title"]}
    return cols[{"deadline": "tender_end", "value": "amount"}.get(q.sort, q.sort)], s["id"]


def _day():
    return st.dates(DAY0 - timedelta(days=10), DAY0 + timedelta(days=480))


def _text():
    vocab = [w[:n] for w in WORDS + [n for _, n in BUYERS + SUPPLIERS] + [f"{s} {c}" for s, c in CLASSES]
             for n in (2, 4, 6, 30)]
    return st.lists(st.sampled_from([*vocab, "%", "t-0", "zzz"]), max_size=2).map(" ".join)


def _search(**filters):
    return Search(**{k: v for k, v in filters.items() if k in ("sort", "desc") or v not in ("", None)})


# A few filters at a time (all of them at once would rarely find anything).
searches = st.fixed_dictionaries({"sort": st.sampled_from(list(search.SORTS)), "desc": st.booleans()}, optional={
    "q": _text(), "buyer": _text(), "supplier": _text(), "bidder": _text(), "classification": _text(),
    "status": st.sampled_from(STATUSES), "currency": st.sampled_from(["EUR", "USD"]),
    "value_min": st.floats(0, 10**7), "value_max": st.floats(0, 10**7),
    "dates": st.dictionaries(st.sampled_from(list(search.DATES)), st.tuples(st.none() | _day(), st.none() | _day()),
                             min_size=1, max_size=2),
}).filter(lambda d: len(d) <= 4).map(lambda d: _search(**d))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=searches, size=st.integers(1, 7))
def test_every_result_matches_in_the_asked_order_and_paging_yields_each_once(corpus, q, size):
    p, states = corpus
    expected = sorted((s for s in states.values() if matches(s, q)), key=lambda s: key(s, q), reverse=q.desc)
    want = [s["id"] for s in expected]
    event("found none" if not want else "found some")
    assert [t.id for t in queries.find_tenders(p, q, limit=200).items] == want
    assert queries.count_tenders(p, q) == len(want)
    pages, after = [], ""
    for _ in range(len(want) + 2):  # forward, page by page (a page that repeats would not end)
        page = queries.find_tenders(p, q, after=after, limit=size)
        pages += [t.id for t in page.items]
        if not page.has_next:
            break
        after = page.items[-1].id
    assert pages == want
    if len(want) > size:  # and back from the end
        back, before = [], want[-1]
        for _ in range(len(want) + 2):
            page = queries.find_tenders(p, q, before=before, limit=size)
            back = [t.id for t in page.items] + back
            if not page.has_prev:
                break
            before = page.items[0].id
        assert back == want[:-1]


def test_each_filter_finds_what_it_names(corpus):
    p, states = corpus

    def found(**kw):
        return {t.id for t in queries.find_tenders(p, Search(**kw), limit=500).items}

    assert found(q="Microsoft") == {i for i, s in states.items() if (s["awards"] and s["awards"][0]["supplier"]["id"] ==
                                    "msft") or (s["opened"] and any(b["bidder"] == "msft" for b in s["bids"].values()))}
    assert found(buyer="Department of Defense") == {i for i, s in states.items() if s["buyer"]["id"] == "dod"} != set()
    assert found(buyer="defen") == found(buyer="dod")  # a word's beginning
    assert found(classification="81112000") == {i for i, s in states.items()
                                                if s["items"][0]["classification"]["id"] == "81112000"} != set()
    assert found(classification="CPV 72") == {i for i, s in states.items()
                                              if s["items"][0]["classification"]["id"].startswith("72")} != set()
    assert found(supplier="amazon") <= found(q="amazon") and found(supplier="amazon")
    assert found(q="%") == set() and found(q="_") == set()
    assert found(value_min=5e6, currency="eur".upper()) == {
        i for i, s in states.items() if s["value"] and s["value"]["currency"] == "EUR" and float(s["value"]["amount"]) >= 5e6}
    jan = {"published": (date(2020, 1, 1), date(2020, 1, 31))}
    assert found(dates=jan) == {i for i, s in states.items() if (s["published"] or "").startswith("2020-01")} != set()


def test_a_bidder_is_found_only_from_the_opening_on(world):
    marker = "zq" + os.urandom(8).hex()  # a bidder id no other text holds
    world.create()
    world.publish()
    world.bid(marker, b"PROPOSAL", bid_id="bid-m")
    world.bid("acme", b"ACME", bid_id="bid-a")
    world.clock.advance(days=31)
    world.p.run_deadlines()
    world.declare(OPENERS[0])
    world.share(OPENERS[0])  # one share short of the opening

    def found(**kw):
        return [t.id for t in queries.find_tenders(world.p, Search(**kw)).items]

    for kw in ({"bidder": marker}, {"q": marker}, {"bidder": marker[:6]}, {"q": marker.upper()}):
        assert found(**kw) == [] and queries.count_tenders(world.p, Search(**kw)) == 0
    assert found(bidder="acme") == []
    assert_nobody_named(world, marker)  # not in tender_terms either: the whole database is read
    world.open()
    assert world.state()["opened"]
    for kw in ({"bidder": marker}, {"q": marker}, {"bidder": marker[:6]}, {"q": marker.upper()}):
        assert found(**kw) == [TID]
    assert found(bidder="acme") == [TID] and found(supplier=marker) == []
    assert rebuild(world.p, check=True).identical


def test_search_columns_follow_the_tender_and_agree_with_a_rebuild(world):
    world.create(title="Cloud services for the Department", buyer={"id": "dod", "name": "Department of Defense"},
                 items=[{"id": "i1", "description": "x", "classification": {"scheme": "UNSPSC", "id": "81112000"}}])
    assert [t.id for t in queries.find_tenders(world.p, Search(classification="81112000")).items] == [TID]
    assert [t.id for t in queries.find_tenders(world.p, Search(buyer="department defense")).items] == [TID]
    world.publish()
    with world.p.db.reader.connect() as conn:
        row = conn.execute(sa.select(tenders).where(tenders.c.id == TID)).one()
    assert (row.published, row.amount, row.currency) == (world.state()["published"], 1_000_000.0, "USD")
    assert row.tender_end == world.state()["periods"]["tender_end"] and row.awarded == ""
    assert rebuild(world.p, check=True).identical


@pytest.mark.parametrize(("params", "bad"), [
    ({"value_min": "lots"}, "value_min"), ({"value_max": "-1"}, "value_max"), ({"value_min": "inf"}, "value_min"),
    ({"currency": "EURO"}, "currency"), ({"published_from": "2020-13-01"}, "published_from"),
    ({"deadline_to": "yesterday"}, "deadline_to"), ({"sort": "price"}, "sort"), ({"order": "up"}, "order"),
])
def test_a_parameter_that_does_not_parse_is_named_and_left_out(params, bad):
    got, errors = search.from_params({"q": "paper", **params})
    assert list(errors) == [bad] and got.q == "paper"
    assert search.params(got) == {"q": "paper"}


@given(q=searches)
def test_parameters_round_trip(q):
    got, errors = search.from_params(search.params(q))
    assert not errors
    norm = {k: v for k, v in q.dates.items() if v != (None, None)}
    assert got == Search(**{**q.__dict__, "dates": norm, "q": q.q.strip(), "buyer": q.buyer.strip(),
                            "supplier": q.supplier.strip(), "bidder": q.bidder.strip(),
                            "classification": q.classification.strip()})

"""OCDS complete and exact (issue 13): every transition of awards and contracts as the state has
it, protests and stays through tenderproof's own extension, an installation's own publisher and
ocid prefix, and packages streamed from the store in batches."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tenderproof.api import create_app
from tenderproof.app.publication import iter_stored_releases, release_batches, stored_releases
from tenderproof.app.rebuild import rebuild
from tenderproof.app.service import Procurement
from tenderproof.instance import InstanceError, OcdsSettings, Settings, init
from tenderproof.ocds import packages as pk
from tenderproof.ocds.extensions import EXTENSIONS
from tenderproof.scenario.runner import Clock, Runner, Scenario
from tenderproof.store.schema import ocds_releases

from . import cove
from .test_ocds import check_report, standard_zip

TENDER = "HQ0034-18-R-0077"
SCENARIOS = sorted(f.name.removesuffix(".toml") for f in resources.files("tenderproof.scenario").joinpath("data")
                   .iterdir() if f.name.endswith(".toml"))
CUSTOM = {"TENDERPROOF_OCDS_PUBLISHER": "Department of Works <https://works.example.gov>",
          "TENDERPROOF_OCDS_LICENSE": "https://creativecommons.org/licenses/by/4.0/",
          "TENDERPROOF_OCDS_POLICY": "https://works.example.gov/open-data-policy",
          "TENDERPROOF_OCID_PREFIX": "ocds-213czf"}


def replay(settings: Settings, name: str = "jedi", **kw) -> Procurement:
    log = init(settings)
    clock = Clock()
    p = Procurement(log, settings.data_dir, clock, **kw)
    Runner(p, clock, settings.data_dir / "keys").run(Scenario.load(name))
    return p


@pytest.fixture
def jedi(settings):
    p = replay(settings)
    yield p
    p.db.dispose()


def _by_id(items: list[dict]) -> dict[str, dict]:
    return {x["id"]: x for x in items}


def test_jedi_contract_terminated_and_superseded_award(jedi: Procurement) -> None:
    state = jedi.state(TENDER)
    rels = stored_releases(jedi)
    compiled = pk.compile_record(rels[0]["ocid"], rels)["compiledRelease"]
    first, second = (a["id"] for a in state["awards"])
    # After the cancellation (2021-07-06): the tender cancelled, the contract terminated that day.
    assert compiled["tender"]["status"] == "cancelled"
    contract = compiled["contracts"][0]
    assert contract["status"] == "terminated" and contract["awardID"] == state["contract"]["award"] == first
    assert contract["period"] == {"startDate": state["contract"]["date"], "endDate": state["contract"]["terminated"]}
    assert state["contract"]["period_end"] in contract["description"]
    awards = _by_id(compiled["awards"])
    assert awards[first]["status"] == "cancelled" and f"Superseded by award {second}" in awards[first]["description"]
    assert awards[second]["status"] == "cancelled"  # the whole process was cancelled
    # Each transition, release by release: the award pending in the stay window, active once
    # contracted; the re-affirmed decision active with the contract standing, the first superseded.
    tags = [(r["tag"], r) for r in rels]
    award1 = next(r for t, r in tags if t == ["award"])
    signed = next(r for t, r in tags if "contract" in t)
    reaffirmed = [r for t, r in tags if t == ["award"]][1]
    assert _by_id(award1["awards"])[first]["status"] == "pending"
    assert _by_id(signed["awards"])[first]["status"] == "active" and signed["contracts"][0]["status"] == "active"
    statuses = {a["id"]: a["status"] for a in reaffirmed["awards"]}
    assert statuses == {first: "cancelled", second: "active"}
    assert reaffirmed["contracts"][0]["status"] == "active" and reaffirmed["tender"]["status"] == "complete"
    cancel = next(r for t, r in tags if t == ["tenderCancellation"])
    assert cancel["contracts"][0]["status"] == "terminated"


def test_jedi_protests_stays_and_corrective_action_as_the_state_has_them(jedi: Procurement) -> None:
    state = jedi.state(TENDER)
    rels = stored_releases(jedi)
    tender = pk.compile_record(rels[0]["ocid"], rels)["compiledRelease"]["tender"]
    protests = _by_id(tender["protests"])
    assert set(protests) == set(state["protests"])
    for pid, pr in state["protests"].items():
        got = protests[pid]
        assert (got["forum"], got["protester"], got["outcome"], got["dateFiled"], got["dateDecided"]) == (
            pr["forum"], pr["protester"], pr["outcome"], pr["filed"], pr["decided"])
        assert [o["order"] for o in got.get("orders", [])] == [o["order"] for o in pr["orders"]]
    stays = _by_id(tender["stays"])
    assert {k: (s["status"], s.get("dateEnded"), s["blocks"]) for k, s in stays.items()} == {
        k: (s["status"], s["ended"], s["blocks"]) for k, s in state["stays"].items()}
    # The stay's id ends with its event's number, which moves as the replay gains steps.
    [injunction] = [s for k, s in stays.items() if k.startswith("preliminary_injunction-cofc-19-1796c-")]
    assert injunction["blocks"] == ["contract", "performance"] and injunction["period"]["startDate"] == \
        "2020-02-13T20:00:00Z"
    [action] = tender["correctiveActions"]
    assert (action["kind"], action["protest"], action["factors"]) == ("reevaluate", "cofc-19-1796c",
                                                                       ["f5-hosting", "f9-price"])
    # The filing of each protest published a release of its own.
    filed = {r["id"] for r in rels if any(p_["dateFiled"] == r["date"] for p_ in r["tender"].get("protests", []))}
    assert len(filed) == len(state["protests"])


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_is_valid_through_the_api(name: str, settings, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The streamed packages, as the API serves them, validate with libcoveocds offline, their
    extensions read from the API's own route: 0 errors, 0 additional checks, no undeclared field."""
    p = replay(settings, name, public_url=cove.BASE)
    try:
        client = TestClient(create_app(p, portal=False), base_url=cove.BASE)
        served = cove.serve_extensions(monkeypatch)
        for path in ("/api/ocds/releases.json", "/api/ocds/records.json"):
            got = client.get(path)
            assert got.status_code == 200 and got.headers["content-type"].startswith("application/json")
            file = tmp_path / path.rsplit("/", 1)[-1]
            file.write_bytes(got.content)
            check_report(cove.in_process(file, standard_zip(), monkeypatch), path)
        assert served.paths
        rels = stored_releases(p)
        package = json.loads((tmp_path / "releases.json").read_text())
        assert package["releases"] == rels and package["extensions"] == pk_ext_urls()
        records = json.loads((tmp_path / "records.json").read_text())["records"]
        assert [r["ocid"] for r in records] == sorted({r["ocid"] for r in rels})
        lines = client.get("/api/ocds/releases.jsonl").text.splitlines()
        assert [json.loads(line) for line in lines] == rels
    finally:
        p.db.dispose()


def pk_ext_urls() -> list[str]:
    return [f"{cove.BASE}/api/ocds/extensions/{n}/extension.json" for n in EXTENSIONS]


def test_extension_files_are_served(settings) -> None:
    p = Procurement(init(settings), settings.data_dir)
    try:
        client = TestClient(create_app(p, portal=False))
        for name in EXTENSIONS:
            meta = client.get(f"/api/ocds/extensions/{name}/extension.json")
            assert meta.status_code == 200 and meta.headers["content-type"] == "application/json"
            assert meta.json()["schemas"] == ["release-schema.json"] and "1.1" in meta.json()["compatibility"]
            patch = client.get(f"/api/ocds/extensions/{name}/release-schema.json").json()
            assert "definitions" in patch
            readme = client.get(f"/api/ocds/extensions/{name}/README.md")
            assert readme.headers["content-type"].startswith("text/markdown") and "Licence" in readme.text
        for bad in ("/api/ocds/extensions/ocds_bid_extension/extension.json",
                    "/api/ocds/extensions/tenderproof_bids/NOTICE", "/api/ocds/extensions/tenderproof_bids/..%2F..%2Fpackages.py"):
            got = client.get(bad)
            assert got.status_code == 404 and got.headers["content-type"] == "application/problem+json", bad
    finally:
        p.db.dispose()


def test_bid_details_fields_are_declared() -> None:
    """`bids.details[].description` (and every field we publish in bids) is defined by a declared extension."""
    bid = pk.release_schema()["definitions"]["Bid"]["properties"]
    assert {"id", "date", "status", "tenderers", "description"} <= set(bid)
    tender = pk.release_schema()["definitions"]["Tender"]["properties"]
    assert {"protests", "stays", "correctiveActions", "status", "tenderers"} <= set(tender)


def test_an_installation_publishes_as_itself(settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for k, v in CUSTOM.items():
        monkeypatch.setenv(k, v)
    s = Settings.resolve(settings.data_dir, settings.db_url, "https://works.example.gov")
    assert s.ocds == OcdsSettings("Department of Works", "https://works.example.gov", CUSTOM["TENDERPROOF_OCDS_LICENSE"],
                                  CUSTOM["TENDERPROOF_OCDS_POLICY"], "ocds-213czf-")
    p = replay(s, public_url=s.public_url, publication=s.ocds)
    try:
        ocid = f"ocds-213czf-{TENDER}"
        assert {r["ocid"] for r in stored_releases(p)} == {ocid}
        client = TestClient(create_app(p, portal=False))
        pkg = client.get("/api/ocds/releases.json").json()
        assert pkg["publisher"] == {"name": "Department of Works", "uri": "https://works.example.gov"}
        assert pkg["license"] == CUSTOM["TENDERPROOF_OCDS_LICENSE"]
        assert pkg["publicationPolicy"] == CUSTOM["TENDERPROOF_OCDS_POLICY"]
        assert pkg["extensions"] == [f"https://works.example.gov/api/ocds/extensions/{n}/extension.json"
                                     for n in EXTENSIONS]
        assert client.get(f"/api/ocds/records/{ocid}").json()["records"][0]["ocid"] == ocid
        assert client.get(f"/api/ocds/records/ocds-tndrpf-{TENDER}").status_code == 404
        assert rebuild(p, check=True).identical  # stored releases rebuild identically under the same settings
        file = tmp_path / "releases.json"
        file.write_bytes(client.get("/api/ocds/releases.json").content)
        cove.serve_extensions(monkeypatch, "https://works.example.gov")
        check_report_at(cove.in_process(file, standard_zip(), monkeypatch), "https://works.example.gov")
    finally:
        p.db.dispose()


def check_report_at(report: dict, base: str) -> None:
    assert report["validation_errors"] == [] and not report["additional_checks"]
    assert not report["additional_fields"] and not report["extensions"]["invalid_extension"]
    assert [e["url"] for e in report["extensions"]["extensions"]] == [
        f"{base}/api/ocds/extensions/{n}/extension.json" for n in EXTENSIONS]


@pytest.mark.parametrize(("env", "says"), [
    ({"TENDERPROOF_OCID_PREFIX": "ocds-ABC123"}, "TENDERPROOF_OCID_PREFIX"),
    ({"TENDERPROOF_OCID_PREFIX": "ocds-12345"}, "six lowercase letters or digits"),
    ({"TENDERPROOF_OCID_PREFIX": "tndrpf-"}, "is not an ocid prefix"),
    ({"TENDERPROOF_OCDS_PUBLISHER": "Works <ftp://works.example.gov>"}, "TENDERPROOF_OCDS_PUBLISHER"),
    ({"TENDERPROOF_OCDS_PUBLISHER": "<https://works.example.gov>"}, "publisher's name"),
    ({"TENDERPROOF_OCDS_LICENSE": "CC-BY-4.0"}, "TENDERPROOF_OCDS_LICENSE"),
    ({"TENDERPROOF_OCDS_POLICY": "https://user:pw@example.gov/policy"}, "credentials"),
])
def test_bad_settings_are_refused_clearly(env: dict[str, str], says: str, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(InstanceError, match=says):
        Settings.resolve(tmp_path)


def test_defaults_are_the_same_in_both_layers() -> None:
    assert OcdsSettings() == OcdsSettings.from_env({})
    for f in ("publisher_name", "publisher_uri", "license", "publication_policy", "ocid_prefix"):
        assert getattr(OcdsSettings(), f) == getattr(pk.DEFAULT_PUBLICATION, f), f


# --- streaming -------------------------------------------------------------------------------------

def _stored(settings, layout: list[tuple[str, int]]) -> Procurement:
    """An installation whose ocds_releases table holds one small release per (tender, ledger index)."""
    p = Procurement(init(settings), settings.data_dir)
    rows = [{"id": f"ocds-tndrpf-{t}-{i}", "tender_id": t, "ledger_index": i,
             "release": pk.dumps({"ocid": f"ocds-tndrpf-{t}", "id": f"ocds-tndrpf-{t}-{i}", "date": f"2024-01-01T00:00:{i % 60:02d}Z",
                                  "tag": ["tender"], "initiationType": "tender"})} for t, i in layout]
    with p.db.writer.begin() as conn:
        conn.execute(ocds_releases.insert(), rows)
    return p


LAYOUT = [("T-B", 0), ("T-A", 1), ("T-C", 2), ("T-A", 3), ("T-B", 4), ("T-A", 5), ("T-C", 6), ("T-A", 7), ("T-B", 8),
          ("T-A", 9), ("T-D", 10)]


@pytest.mark.parametrize("batch", [1, 3, 4, 100])
def test_batches_hold_at_most_a_batch_in_order(settings, batch: int) -> None:
    p = _stored(settings, LAYOUT)
    try:
        ledger = [json.loads(t)["id"] for b in release_batches(p, batch=batch) for t in b]
        assert all(len(b) <= batch for b in release_batches(p, batch=batch))
        assert ledger == [f"ocds-tndrpf-{t}-{i}" for t, i in LAYOUT]
        grouped = [r["id"] for r in iter_stored_releases(p, by_ocid=True, batch=batch)]
        assert all(len(b) <= batch for b in release_batches(p, by_ocid=True, batch=batch))
        assert grouped == [f"ocds-tndrpf-{t}-{i}" for t, i in sorted(LAYOUT)]
        records = list(pk.records(iter_stored_releases(p, by_ocid=True, batch=batch)))
        assert [r["ocid"] for r in records] == [f"ocds-tndrpf-{t}" for t in ("T-A", "T-B", "T-C", "T-D")]
        assert [len(r["releases"]) for r in records] == [5, 3, 2, 1]
    finally:
        p.db.dispose()


def test_reading_is_lazy_and_bounded_by_its_start(settings) -> None:
    """The iterator reads one batch per `batch` releases consumed, not the table, and releases
    stored after it began are not in it (one moment's publication)."""
    p = _stored(settings, LAYOUT)
    selects: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "ocds_releases" in statement:
            selects.append(statement)

    sa.event.listen(p.db.reader, "before_cursor_execute", count)
    try:
        it = iter_stored_releases(p, batch=3)
        first = [next(it) for _ in range(3)]
        assert len(selects) == 2  # the snapshot's bound, then one batch
        assert [r["id"] for r in first] == ["ocds-tndrpf-T-B-0", "ocds-tndrpf-T-A-1", "ocds-tndrpf-T-C-2"]
        next(it)
        assert len(selects) == 3
        with p.db.writer.begin() as conn:
            conn.execute(ocds_releases.insert(), [{"id": "late", "tender_id": "T-A", "ledger_index": 99,
                                                   "release": pk.dumps({"ocid": "ocds-tndrpf-T-A", "id": "late"})}])
        rest = [r["id"] for r in it]
        assert "late" not in rest and len(rest) == len(LAYOUT) - 4
    finally:
        sa.event.remove(p.db.reader, "before_cursor_execute", count)
        p.db.dispose()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3),
                    max_leaves=8)


@hsettings(max_examples=60, deadline=None)
@given(meta=st.dictionaries(st.text(max_size=6), JSON, min_size=1, max_size=4).filter(lambda m: "items" not in m),
       items=st.lists(JSON, max_size=5))
def test_a_streamed_package_is_the_package_byte_for_byte(meta: dict, items: list) -> None:
    assert "".join(pk.stream_package(meta, "items", iter(items))) == pk.dumps({**meta, "items": items})


def test_streamed_packages_equal_the_whole_ones(jedi: Procurement) -> None:
    meta = {"publisher": {"name": "t"}, "uri": "urn:x", "published_date": "2030-01-01T00:00:00Z",
            "extensions": pk_ext_urls()}
    rels = stored_releases(jedi)
    assert "".join(pk.iter_release_package(iter_stored_releases(jedi, batch=5), **meta)) == \
        pk.dumps(pk.release_package(rels, **meta))
    assert "".join(pk.iter_record_package(iter_stored_releases(jedi, by_ocid=True, batch=5), **meta)) == \
        pk.dumps(pk.record_package(rels, **meta))

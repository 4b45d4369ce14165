"""docs/scenarios.md is true: its table of actions is the runner's own, its what-if runs as written
(`tenderproof scenario run FILE.toml`) and prints each expected refusal with its rule; a refusal
not expected, a malformed file, an unknown action or a bad argument is one line naming the step,
and a non-zero exit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tenderproof.scenario.runner import ACTIONS, COMMANDS, SPECIAL, actions_reference

from ..test_cli import run

DOC = Path(__file__).parents[2] / "docs" / "scenarios.md"


def _doc() -> str:
    return DOC.read_text()


def _what_if() -> str:
    return re.findall(r"```toml\n(.*?)```", _doc(), re.S)[-1]


def test_the_table_of_actions_is_the_runners_own():
    table = re.search(r"<!-- actions:begin -->\n(.*?)<!-- actions:end -->", _doc(), re.S)
    assert table is not None and table.group(1) == actions_reference()
    assert set(ACTIONS) == set(SPECIAL) | set(COMMANDS)
    for action in ACTIONS:
        assert f"| `{action}` |" in table.group(1)


def test_the_cli_prints_the_same_table(tmp_path):
    _, out, _ = run("scenario", "actions")
    assert out == actions_reference()


@pytest.fixture
def scenario(tmp_path, db_url):
    def go(text: str, check: int | None = 0):
        path = tmp_path / "what-if.toml"
        path.write_text(text)
        return run("scenario", "run", path, "--data-dir", tmp_path / "data", "--db", db_url, check=check)
    return go


def test_the_what_if_runs_as_written_and_prints_each_refusal_with_its_rule(scenario):
    _, out, err = scenario(_what_if())
    lines = [line for line in out.splitlines() if line.startswith("as expected")]
    assert len(lines) == 2, out + err
    assert "override at 2030-03-21T15:00:00Z by hca) refused: invalid-command: written finding" in lines[0]
    assert "comments at 2030-04-10T15:00:00Z by globex) refused: late-comments: comments were due by" in lines[1]
    assert "tender WHATIF-1: active.awarded" in out


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_an_unexpected_refusal_stops_the_run_with_one_line_naming_the_step_and_its_rule(scenario):
    text = _what_if().replace('expect = "late-comments"\n', "")
    _, _, err = scenario(text, check=1)
    line = _one_error_line(err)
    assert line.startswith("error: step 19 (comments at 2030-04-10T15:00:00Z by globex) refused: late-comments: ")


def test_an_expected_refusal_that_does_not_come_is_one_line(scenario):
    text = _what_if().replace('do = "agency_report"\n', 'do = "agency_report"\nexpect = "late-comments"\n')
    _, _, err = scenario(text, check=1)
    assert "step 18 (agency_report at 2030-03-25T15:00:00Z by co) should have been refused (late-comments)" in \
        _one_error_line(err)


@pytest.mark.parametrize(("change", "message"), [
    (('do = "docket"', 'do = "dockett"'), "step 15 (2030-03-20T16:00:00Z): unknown action 'dockett'; known: create"),
    (('args = { protest_id = "p1" }', 'args = { protest = "p1" }'),
     "step 15 (docket at 2030-03-20T16:00:00Z by gao): bad arguments: got an unexpected keyword argument 'protest'"),
    (('args = { bid_id = "bid-acme" }', "args = { }"),
     "step 3 (bid at 2030-03-10T15:00:00Z by acme): bad arguments: missing argument 'bid_id'"),
    (('actor = "gao"', 'actor = "nobody"'), "unknown actor 'nobody'"),
    (("[[step]]", "[[step]\n"), "is not valid TOML"),
])
def test_a_malformed_scenario_is_one_line_naming_the_step(scenario, change, message):
    _, _, err = scenario(_what_if().replace(*change, 1), check=1)
    assert message in _one_error_line(err)

"""No rule test is vacuous: each test marked `rule` must FAIL against bare moto.

The same tests run in a subprocess with `--bare` (the same account and core, no service module
installed: plain moto behind it). A rule test that passes there tests moto's behaviour, not the
strict account's rule.
"""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def bare_outcomes(tmp_path_factory, request) -> dict[str, str]:
    if request.config.getoption("--bare"):
        pytest.skip("already bare")
    report = tmp_path_factory.mktemp("bare") / "report.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", HERE, "--bare", "-m", "rule", "-q", "-p", "no:cacheprovider",
         f"--junitxml={report}"],
        cwd=HERE, capture_output=True, text=True, timeout=600)
    assert report.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        # "failure": the test's own assertion or call failed; "error": its setup did, which says
        # nothing about the rule.
        outcomes[name] = ("failed" if "failure" in kinds else "error" if "error" in kinds
                          else "skipped" if "skipped" in kinds else "passed")
    return outcomes


def _rule_tests(config) -> set[str]:
    """The rule tests of this run's collection, named as junit names them (module::test)."""
    names = set()
    for item in config.rule_items:
        module = item.nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
        names.add(f"{module}::{item.name}")
    return names


def test_every_rule_test_fails_on_bare_moto(bare_outcomes, request):
    expected = _rule_tests(request.config)
    assert expected, "no test marked rule was collected"
    ran = {name.rsplit(".", 1)[-1] if "." in name.split("::")[0] else name: outcome
           for name, outcome in bare_outcomes.items()}
    missing = sorted(expected - set(ran))
    assert not missing, f"rule tests that did not run bare: {missing}"
    vacuous = sorted(name for name in expected if ran[name] != "failed")
    assert not vacuous, f"rule tests that do not fail on bare moto (they test moto, not a rule): {vacuous}"

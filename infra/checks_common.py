"""What the infra checks share: the repo layout, the template as data, the SAM transform.

Every check is a function `check(paths) -> list[str]` that returns its problems (empty: passed),
so that infra/test_checks.py can run it on a broken copy and see it fail.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Paths:
    """Where a check looks. The defaults are the repo; tests point them at broken copies."""

    root: Path = ROOT
    template: Path = ROOT / "infra" / "template.yaml"
    statemachines: Path = ROOT / "statemachine"
    functions: Path = ROOT / "functions"
    calls: Path = ROOT / "infra" / "calls.json"


def load_template(path: Path) -> dict[str, Any]:
    """The template as plain data, intrinsic functions as {"Fn::X": ...} / {"Ref": ...}."""
    from cfnlint.decode import decode  # the infra venv's cfn-lint

    template, errors = decode(str(path))
    if errors or template is None:
        raise ValueError(f"{path}: cannot be parsed: {[str(e) for e in errors or []]}")
    return json.loads(json.dumps(template))


def resources(template: dict[str, Any], type_: str | None = None) -> dict[str, dict[str, Any]]:
    found = template.get("Resources") or {}
    return {k: v for k, v in found.items() if type_ is None or v.get("Type") == type_}


def binary_of(logical_id: str, resource: dict[str, Any]) -> str | None:
    """The binary a function resource deploys: CodeUri ../target/lambda/<binary>/bootstrap.zip,
    which must agree with Metadata.edgestack.binary. None if the two disagree or are missing."""
    code_uri = (resource.get("Properties") or {}).get("CodeUri")
    declared = ((resource.get("Metadata") or {}).get("edgestack") or {}).get("binary")
    match = re.fullmatch(r"\.\./target/lambda/([a-z0-9-]+)/bootstrap\.zip", str(code_uri))
    if not match or match.group(1) != declared:
        return None
    return declared


def kebab(name: str) -> str:
    """ValidateRequest -> validate-request."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def substitutions_in(text: str) -> set[str]:
    return set(re.findall(r"\$\{([^}]*)\}", text))


def sam_transform(template: dict[str, Any], template_dir: Path) -> dict[str, Any]:
    """The plain CloudFormation that SAM makes of the template (what AWS deploys), with local
    artifacts replaced by S3 placeholders as `sam package` would."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    template = copy.deepcopy(template)
    for logical_id, resource in resources(template).items():
        props = resource.get("Properties") or {}
        if "CodeUri" in props:
            props["CodeUri"] = f"s3://edgestack-check/{logical_id}.zip"
        if "DefinitionUri" in props:
            props["DefinitionUri"] = f"s3://edgestack-check/{logical_id}.asl.json"
    return transform(template, {}, NoManagedPolicies())


def report(name: str, problems: list[str]) -> int:
    if problems:
        print(f"{name}: {len(problems)} problem(s)", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"{name}: ok")
    return 0

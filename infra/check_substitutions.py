#!/usr/bin/env python3
"""The state machine files, the template and the function crates agree.

- Every statemachine/*.asl.json is deployed by exactly one AWS::Serverless::StateMachine
  (DefinitionUri), and every DefinitionUri names an existing file.
- Every `${X}` in a state machine file is provided by that state machine's
  DefinitionSubstitutions, and every substitution provided is used (a stale one hides a rename).
- Every `${<Name>Function}` is the `Fn::GetAtt [<Name>Function, Arn]` of an
  AWS::Serverless::Function whose CodeUri (and Metadata.edgestack.binary) deploys the binary
  kebab(<Name>): `${ValidateRequestFunction}` -> binary validate-request.
- Every functions/* crate has exactly one function in the template, and every function in the
  template deploys a crate of functions/ (binary name = folder name = package name).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks_common import Paths, binary_of, kebab, load_template, report, resources, substitutions_in  # noqa: E402


def crates(functions_dir: Path) -> dict[str, str]:
    """folder name -> package name, for every crate under functions/."""
    found = {}
    for manifest in sorted(functions_dir.glob("*/Cargo.toml")):
        package = tomllib.loads(manifest.read_text()).get("package", {})
        found[manifest.parent.name] = package.get("name", "")
    return found


def check(paths: Paths = Paths()) -> list[str]:
    problems: list[str] = []
    template = load_template(paths.template)
    functions = resources(template, "AWS::Serverless::Function")
    machines = resources(template, "AWS::Serverless::StateMachine")

    # The functions and the crates.
    binaries: dict[str, str] = {}  # logical id -> binary
    for logical_id, resource in functions.items():
        binary = binary_of(logical_id, resource)
        if binary is None:
            problems.append(
                f"function {logical_id}: CodeUri must be ../target/lambda/<binary>/bootstrap.zip "
                "and Metadata.edgestack.binary the same <binary>"
            )
            continue
        binaries[logical_id] = binary
    by_binary: dict[str, list[str]] = {}
    for logical_id, binary in binaries.items():
        by_binary.setdefault(binary, []).append(logical_id)
    crate_names = crates(paths.functions)
    for folder, package in crate_names.items():
        if package != folder:
            problems.append(f"functions/{folder}: package name {package!r} is not its folder name (its binary name)")
        deployed = by_binary.get(folder, [])
        if len(deployed) != 1:
            problems.append(f"functions/{folder}: deployed by {len(deployed)} functions in the template ({deployed}), not 1")
    for binary, logical_ids in sorted(by_binary.items()):
        if binary not in crate_names:
            problems.append(f"function {', '.join(logical_ids)}: deploys binary {binary!r}, which no functions/ crate builds")

    # The state machines and their files.
    used_files: dict[Path, str] = {}
    for logical_id, machine in machines.items():
        props = machine.get("Properties") or {}
        uri = props.get("DefinitionUri")
        if not isinstance(uri, str):
            problems.append(f"state machine {logical_id}: DefinitionUri must name a file in statemachine/")
            continue
        path = (paths.template.parent / uri).resolve()
        if not path.is_file():
            problems.append(f"state machine {logical_id}: DefinitionUri {uri} does not exist")
            continue
        if path in used_files:
            problems.append(f"state machine {logical_id}: {uri} is already deployed by {used_files[path]}")
        used_files[path] = logical_id
        used = substitutions_in(path.read_text())
        provided = props.get("DefinitionSubstitutions") or {}
        for name in sorted(used - set(provided)):
            problems.append(f"{path.name}: ${{{name}}} is not provided by {logical_id}'s DefinitionSubstitutions")
        for name in sorted(set(provided) - used):
            problems.append(f"state machine {logical_id}: substitution {name} is not used by {path.name}")
        for name in sorted(used & set(provided)):
            match = re.fullmatch(r"([A-Z][A-Za-z0-9]*)Function", name)
            if not match:
                continue
            value = provided[name]
            target = (value.get("Fn::GetAtt") if isinstance(value, dict) else None) or [None, None]
            if isinstance(target, str):
                target = target.split(".", 1)
            if target[1] != "Arn" or target[0] not in functions:
                problems.append(
                    f"state machine {logical_id}: {name} must be the Arn of a function of this template "
                    f"(Fn::GetAtt [{name}, Arn]), not {value!r}"
                )
                continue
            want = kebab(match.group(1))
            got = binaries.get(target[0])
            if got != want:
                problems.append(
                    f"state machine {logical_id}: ${{{name}}} is {target[0]}, which deploys {got!r}, not binary {want!r}"
                )
    for path in sorted(paths.statemachines.glob("*.asl.json")):
        if path.resolve() not in used_files:
            problems.append(f"statemachine/{path.name} is deployed by no state machine in the template")
    return problems


if __name__ == "__main__":
    sys.exit(report("check_substitutions", check()))

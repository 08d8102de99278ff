#!/usr/bin/env python3
"""The state machines' structure, beyond what statelint checks, as this project writes them.

For every statemachine/*.asl.json:
- StartAt names a state; every Next, Default and Catch target names a state;
- every state is reachable from StartAt, and from every state a terminal state is reachable
  (a Succeed or Fail state, or `End: true`): no dead ends and no loop without a way out;
- every Choice has a Default (no States.NoChoiceMatched at run time);
- every Task invokes a Lambda function through `arn:aws:states:::lambda:invoke`, with its
  FunctionName a `${<Name>Function}` substitution (a function ARN in AWS, a binary name locally),
  the whole state as its payload, a TimeoutSeconds and a Retry that retries every error AWS's
  Step Functions best practices name for Lambda tasks (`LAMBDA_ERRORS`);
- or it parks the execution (`lambda:invoke.waitForTaskToken`, shared/steps/src/watch.rs): the
  payload is the whole state as `flow` and the task token as `task_token`, it has a
  TimeoutSeconds, and a timeout is retried (the step checks again): otherwise a watcher that
  missed its passes would leave the execution parked for good;
- every Wait waits `SecondsPath` (the step computed the interval), never a fixed time.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks_common import Paths, report  # noqa: E402

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
PARKING_INVOKE = "arn:aws:states:::lambda:invoke.waitForTaskToken"
PARKING_PAYLOAD = {"flow.$": "$", "task_token.$": "$$.Task.Token"}
FUNCTION_SUBSTITUTION = re.compile(r"\$\{([A-Z][A-Za-z0-9]*)Function\}")
KNOWN_TYPES = {"Task", "Choice", "Wait", "Succeed", "Fail", "Pass", "Parallel", "Map"}
# Step Functions best practices ("Handle transient Lambda service exceptions"): retry these on
# every Lambda task.
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
}


def transitions(state: dict) -> list[str]:
    targets = []
    if "Next" in state:
        targets.append(state["Next"])
    for choice in state.get("Choices") or []:
        if "Next" in choice:
            targets.append(choice["Next"])
    if "Default" in state:
        targets.append(state["Default"])
    for catcher in state.get("Catch") or []:
        if "Next" in catcher:
            targets.append(catcher["Next"])
    return targets


def is_terminal(state: dict) -> bool:
    return state.get("Type") in ("Succeed", "Fail") or state.get("End") is True


def check_machine(path: Path) -> list[str]:
    name = path.name
    try:
        machine = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        return [f"{name}: not valid JSON: {e}"]
    problems: list[str] = []
    states = machine.get("States")
    if not isinstance(states, dict) or not states:
        return [f"{name}: no States"]
    start = machine.get("StartAt")
    if start not in states:
        problems.append(f"{name}: StartAt {start!r} is not a state")

    for state_name, state in states.items():
        where = f"{name}: state {state_name}"
        kind = state.get("Type")
        if kind not in KNOWN_TYPES:
            problems.append(f"{where}: unknown Type {kind!r}")
            continue
        for target in transitions(state):
            if target not in states:
                problems.append(f"{where}: goes to {target!r}, which is not a state")
        if kind not in ("Choice", "Succeed", "Fail") and not state.get("End") and "Next" not in state:
            problems.append(f"{where}: neither Next nor End")
        if kind == "Choice" and "Default" not in state:
            problems.append(f"{where}: a Choice without Default fails with States.NoChoiceMatched")
        if kind == "Wait":
            if "SecondsPath" not in state:
                problems.append(f"{where}: a Wait must use SecondsPath (the interval the step computed)")
            for fixed in ("Seconds", "Timestamp", "TimestampPath"):
                if fixed in state:
                    problems.append(f"{where}: a Wait must not use {fixed}")
        if kind == "Task":
            params = state.get("Parameters") or {}
            function = params.get("FunctionName")
            if not isinstance(function, str) or not FUNCTION_SUBSTITUTION.fullmatch(function):
                problems.append(f"{where}: FunctionName must be a ${{<Name>Function}} substitution, not {function!r}")
            retried = {e for r in state.get("Retry") or [] for e in r.get("ErrorEquals") or []}
            if state.get("Resource") == PARKING_INVOKE:
                if params.get("Payload") != PARKING_PAYLOAD:
                    problems.append(f"{where}: a parking task's payload must be {json.dumps(PARKING_PAYLOAD)}")
                if not isinstance(state.get("TimeoutSeconds"), int):
                    problems.append(f"{where}: a parking task needs a TimeoutSeconds (then its step checks again)")
                if "States.Timeout" not in retried:
                    problems.append(f"{where}: a parking task must retry States.Timeout (the step checks again)")
            elif state.get("Resource") != LAMBDA_INVOKE:
                problems.append(f"{where}: Resource must be {LAMBDA_INVOKE} or {PARKING_INVOKE}, not {state.get('Resource')!r}")
            else:
                if params.get("Payload.$") != "$":
                    problems.append(f"{where}: the payload must be the whole state (\"Payload.$\": \"$\")")
                if not isinstance(state.get("TimeoutSeconds"), int):
                    problems.append(f"{where}: no TimeoutSeconds (a hung invocation would hang the execution)")
            if not state.get("Retry"):
                problems.append(f"{where}: no Retry (Lambda's own transient errors must be retried)")
            missing = [] if "States.ALL" in retried else sorted(LAMBDA_ERRORS - retried)
            if missing:
                problems.append(f"{where}: does not retry {', '.join(missing)} (Step Functions best practices)")

    # Reachability, forwards from StartAt and backwards from the terminal states.
    if start in states:
        seen = {start}
        todo = [start]
        while todo:
            for target in transitions(states[todo.pop()]):
                if target in states and target not in seen:
                    seen.add(target)
                    todo.append(target)
        for unreachable in sorted(set(states) - seen):
            problems.append(f"{name}: state {unreachable} is unreachable from {start}")
    finishing = {n for n, s in states.items() if is_terminal(s)}
    if not finishing:
        problems.append(f"{name}: no terminal state (Succeed, Fail or End)")
    changed = True
    while changed:
        changed = False
        for n, s in states.items():
            if n not in finishing and any(t in finishing for t in transitions(s)):
                finishing.add(n)
                changed = True
    for stuck in sorted(set(states) - finishing):
        problems.append(f"{name}: from state {stuck} no terminal state can be reached")
    return problems


def check(paths: Paths = Paths()) -> list[str]:
    machines = sorted(paths.statemachines.glob("*.asl.json"))
    if not machines:
        return [f"no *.asl.json in {paths.statemachines}"]
    problems: list[str] = []
    for path in machines:
        problems += check_machine(path)
    return problems


if __name__ == "__main__":
    sys.exit(report("check_asl", check()))

"""Every alert in rules/*.yml has promtool unit tests in rules/tests/*.test.yml for:
* firing: an alert_rule_test entry that expects the alert;
* the for: boundary: in one test case, no alert at T and the alert at T plus one
  evaluation interval (for an alert with for: 0m, the first evaluation where its
  condition holds);
* not firing: an entry that expects no alert and is not the silent half of such a
  boundary pair (a healthy or near-miss series, a resolved alert).
promtool itself checks that the expectations are right; this checks they exist.
Usage: alert_tests_cover_rules.py PROJECT_ROOT"""
import pathlib
import re
import sys

import yaml

DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def seconds(text):
    """A Prometheus duration such as 1m30s, in seconds."""
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", str(text))
    if not parts or "".join(n + u for n, u in parts) != str(text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(n) * DURATION_UNITS[u] for n, u in parts)


root = pathlib.Path(sys.argv[1])
failures = []

alerts = {}
rule_files = sorted(p for p in (root / "rules").glob("*.yml"))
for path in rule_files:
    for group in yaml.safe_load(path.read_text()).get("groups", []):
        for rule in group["rules"]:
            if "alert" in rule:
                alerts[rule["alert"]] = seconds(rule.get("for", "0s"))

covered = {name: {"firing": False, "boundary": False, "not_firing": False} for name in alerts}
loaded = set()
test_files = sorted((root / "rules" / "tests").glob("*.test.yml"))
for path in test_files:
    spec = yaml.safe_load(path.read_text())
    loaded.update((path.parent / f).resolve() for f in spec.get("rule_files", []))
    interval = seconds(spec.get("evaluation_interval", "1m"))
    for case in spec.get("tests", []):
        by_alert = {}
        for entry in case.get("alert_rule_test", []):
            name = entry["alertname"]
            if name not in alerts:
                failures.append(f"{path.name}: tests {name}, which no rule file defines")
                continue
            by_alert.setdefault(name, {})[seconds(entry["eval_time"])] = bool(entry.get("exp_alerts"))
        for name, expectations in by_alert.items():
            for time, firing in expectations.items():
                if firing:
                    covered[name]["firing"] = True
                    if expectations.get(time - interval) is False:
                        covered[name]["boundary"] = True
                elif expectations.get(time + interval) is not True:
                    covered[name]["not_firing"] = True

for path in rule_files:
    if path.resolve() not in loaded and any(
            "alert" in rule for group in yaml.safe_load(path.read_text()).get("groups", []) for rule in group["rules"]):
        failures.append(f"rules/{path.name} has alerts but no test file loads it")
for name, kinds in sorted(covered.items()):
    for kind, present in kinds.items():
        if not present:
            failures.append(f"{name}: no {kind.replace('_', '-')} test")

print("\n".join(failures) or f"{len(alerts)} alerts, each with firing, not-firing and for-boundary tests")
print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)

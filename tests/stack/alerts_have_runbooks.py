"""Every alert has summary, description, severity and a runbook section in docs/alerts.md."""
import pathlib
import re
import sys

import yaml

root = pathlib.Path(sys.argv[1])
doc = (root / "docs" / "alerts.md").read_text()
anchors = {re.sub(r"[^a-z0-9-]", "", line[3:].strip().lower().replace(" ", "-"))
           for line in doc.splitlines() if line.startswith("## ")}
failures = []
groups = [group for path in sorted((root / "rules").glob("*.yml"))
          for group in yaml.safe_load(path.read_text()).get("groups", [])]
for group in groups:
    for rule in group["rules"]:
        name = rule.get("alert")
        if not name:
            continue
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            if key not in annotations:
                failures.append(f"{name}: no {key}")
        if "severity" not in rule.get("labels", {}):
            failures.append(f"{name}: no severity label")
        anchor = annotations.get("runbook_url", "").split("#")[-1]
        if anchor not in anchors:
            failures.append(f"{name}: docs/alerts.md has no section #{anchor}")
print("\n".join(failures) or "every alert documented")
print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)

"""The kill rate of each mutated module, read from `mutmut results --all true` on standard input.

Exits 1 when a module's rate is under the target (95% unless given), so `make mutation` fails visibly.
"""
from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict

TARGET = 95.0
# e.g. "    storage.kpi.x_plan_arrow__mutmut_3: killed"
#      "    answers.access.xǁAccessPolicyǁrole_of__mutmut_1: survived"
LINE_RE = re.compile(r"^\s*(?P<module>[\w.]+?)\.x[_ǁ].*__mutmut_\d+:\s*(?P<status>.+?)\s*$")
CAUGHT = {"killed", "timeout", "caught by type check"}
ROW = "{module:<22} {killed:>7} {total:>6} {rate:>7}  {others}"


def kill_rates(lines) -> dict[str, Counter]:
    by_module: dict[str, Counter] = defaultdict(Counter)
    for line in lines:
        match = LINE_RE.match(line)
        if match:
            by_module[match["module"]][match["status"]] += 1
    return by_module


def main() -> int:
    target = float(sys.argv[1]) if len(sys.argv) > 1 else TARGET
    by_module = kill_rates(sys.stdin)
    if not by_module:
        print("No mutants found: run `mutmut run` first.", file=sys.stderr)
        return 1
    print(ROW.format(module="module", killed="killed", total="total", rate="rate", others="not killed"))
    short = []
    for module in sorted(by_module):
        counts = by_module[module]
        total = sum(counts.values())
        caught = sum(n for status, n in counts.items() if status in CAUGHT)
        rate = 100.0 * caught / total
        others = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()) if status not in CAUGHT)
        print(ROW.format(module=module, killed=caught, total=total, rate=f"{rate:.1f}%", others=others or "-"))
        if rate < target:
            short.append(module)
    if short:
        print(f"Under {target:g}%: {', '.join(short)}. `.venv/bin/mutmut results` lists the survivors; "
              "`.venv/bin/mutmut show NAME` shows one.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

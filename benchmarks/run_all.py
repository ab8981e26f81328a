"""Run every benchmark script in this folder and print their output (``make bench``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

if __name__ == "__main__":
    code = 0
    for script in sorted(Path(__file__).parent.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        code |= subprocess.run([sys.executable, str(script)]).returncode
    sys.exit(code)

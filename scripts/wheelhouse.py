"""Fill a folder with the wheels of a lock file for a Linux image, for a build that cannot reach
PyPI (`make image`; the container test). Usage: wheelhouse.py LOCK DEST [PIP].

pip judges a lock's markers by the Python running it, not the image's: Debian 12's Python is
3.11.2, which still needs what `python_full_version < '3.11.3'` asks for (async-timeout for
redis). So the markers are judged here for CPython 3.11 on Linux x86_64 — any 3.11 release — and
every wheel any of them needs is downloaded, hashes checked; the build backend comes too.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.markers import Marker

LINUX = {
    "os_name": "posix", "sys_platform": "linux", "platform_system": "Linux",
    "platform_machine": "x86_64", "platform_python_implementation": "CPython",
    "implementation_name": "cpython", "python_version": "3.11",
}  # fmt: skip
RELEASES = ("3.11.2", "3.11.99")  # Debian 12's, and any later 3.11
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "any")
BACKEND = "requirements-build.lock"  # pyproject.toml's build-system, locked with hashes


def wanted(lock: str) -> str:
    """The lock without markers, less the entries no Linux CPython 3.11 needs."""
    kept, keep = [], True
    for line in lock.splitlines():
        pin = re.match(r"^([A-Za-z0-9._-]+==[^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*(\\?)$", line)
        if pin:
            marker = pin.group(2)
            keep = marker is None or any(
                Marker(marker).evaluate({**LINUX, "python_full_version": r}) for r in RELEASES
            )
            if keep:
                kept.append(f"{pin.group(1)} {pin.group(3)}".rstrip())
        elif keep and line.strip().startswith("--hash="):
            kept.append(line)
    return "\n".join(kept) + "\n"


def main(lock: Path, dest: Path, pip: str) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    platforms = [flag for p in PLATFORMS for flag in ("--platform", p)]
    common = [pip, "download", "--quiet", "--dest", str(dest), "--only-binary=:all:",
              "--python-version", "3.11", "--implementation", "cp", *platforms]  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
        requirements.write(wanted(lock.read_text(encoding="utf-8")))
        requirements.flush()
        subprocess.run(  # noqa: S603 - pip and our own arguments
            [*common, "--no-deps", "--require-hashes", "-r", requirements.name], check=True
        )
    backend = lock.with_name(BACKEND)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
        requirements.write(wanted(backend.read_text(encoding="utf-8")))
        requirements.flush()
        subprocess.run(  # noqa: S603
            [*common, "--no-deps", "--require-hashes", "-r", requirements.name], check=True
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "pip")

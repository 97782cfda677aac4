"""The lock files say what `make run`, `make test` and CI install (pip --require-hashes): this
fails when pyproject.toml asks for something they do not pin, or pin outside its range, when a
pin has no hash, when the two files disagree, or when the environment running the tests is not
the one the lock describes. `make lock` writes them again."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def pins(name: str) -> dict[str, tuple[str, str, int]]:
    """package -> (version, marker, hashes) of a lock file."""
    found: dict[str, tuple[str, str, int]] = {}
    current = ""
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            found[current] = (match.group(2), (match.group(3) or "").strip(), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, marker, hashes = found[current]
            found[current] = (version, marker, hashes + 1)
    return found


def project() -> tuple[list[Requirement], list[Requirement]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    run = [Requirement(r) for r in data["dependencies"]]
    dev = [Requirement(r) for r in data["optional-dependencies"]["dev"]]
    return run, dev


def test_the_locks_pin_what_pyproject_asks_for_with_hashes() -> None:
    run, dev = project()
    run_lock, dev_lock = pins("requirements.lock"), pins("requirements-dev.lock")
    for requirements, lock, name in ((run, run_lock, "requirements.lock"),
                                     (run + dev, dev_lock, "requirements-dev.lock")):  # fmt: skip
        for requirement in requirements:
            pinned = lock.get(canonicalize_name(requirement.name))
            assert pinned is not None, f"{requirement.name} is not in {name}: run `make lock`"
            assert requirement.specifier.contains(pinned[0], prereleases=True), (
                f"{name} pins {requirement.name}=={pinned[0]}, outside {requirement}: `make lock`"
            )
        assert all(hashes for _, _, hashes in lock.values()), f"a pin without a hash in {name}"
    for package, (version, _, _) in run_lock.items():
        assert dev_lock[package][0] == version, f"{package}: the two locks disagree"


def test_the_build_backend_is_locked_as_pyproject_asks() -> None:
    """The image and the server recipe build the portal with this backend, hashes checked."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    build = pins("requirements-build.lock")
    for requirement in map(Requirement, data["build-system"]["requires"]):
        version, _, hashes = build[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version) and hashes, requirement


def test_the_tests_run_in_the_locked_environment() -> None:
    for package, (version, marker, _) in pins("requirements-dev.lock").items():
        if marker and not Marker(marker).evaluate():
            continue  # another platform's package (pywin32, colorama on Windows …)
        assert metadata.version(package) == version, (
            f"{package}: installed {metadata.version(package)}, locked {version}"
        )

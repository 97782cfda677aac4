"""The one thing pyproject.toml cannot say: the packages are portal's own (found) plus the
checkout's top-level folders, each mapped into portal/_files so that a wheel carries them (every
folder below them listed too: setuptools ships a folder's files only as a package's data)."""

from pathlib import Path

from setuptools import find_packages, setup

SHIPPED = ("templates", "static", "questionnaires", "translations", "migrations", "data")
HERE = Path(__file__).resolve().parent


def folders(top: str) -> list[str]:
    below = sorted(p for p in (HERE / top).rglob("*") if p.is_dir() and p.name != "__pycache__")
    return [top, *(str(p.relative_to(HERE)) for p in below)]


setup(
    packages=[
        *find_packages(include=["portal", "portal.*"]),
        *(f"portal._files.{f.replace('/', '.')}" for top in SHIPPED for f in folders(top)),
    ],
    package_dir={f"portal._files.{top}": top for top in SHIPPED},
)

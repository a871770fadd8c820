"""The floors of the house stay as the README draws them: an AST walk over every import of the project's packages
(at module level and inside functions)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("database", "models", "webapi", "speech", "retrieval_index", "civic_services", "chatbot", "minutes",
            "voicebot", "dasan")
# What each floor may import (besides itself): the bottom floors import no other package of the project.
ALLOWED = {
    "database": set(),
    "models": set(),
    "webapi": set(),
    "speech": {"models"},
    "retrieval_index": {"models"},
    "civic_services": {"database", "webapi", "models", "retrieval_index"},
    "chatbot": {"models", "webapi", "retrieval_index", "civic_services"},
    "minutes": {"database", "webapi", "models", "speech", "retrieval_index"},
    "voicebot": {"webapi", "models", "speech", "retrieval_index", "chatbot"},
    "dasan": set(PACKAGES) - {"dasan"},
}


def imports() -> list[tuple[str, str, str, list[str]]]:
    """(importing package, imported package, where, names imported) for every import between project packages."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    targets = [(alias.name, []) for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    targets = [(node.module, [alias.name for alias in node.names])]
                else:
                    continue
                for module, names in targets:
                    top = module.split(".")[0]
                    if top in PACKAGES and top != package:
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        found.append((package, top, where, names))
    return found


def test_each_floor_imports_only_the_floors_below_it():
    wrong = [f"{where}: {package} imports {target}" for package, target, where, _ in imports()
             if target not in ALLOWED[package]]
    assert wrong == []


def test_the_packages_import_each_other_without_a_circle():
    edges: dict[str, set[str]] = defaultdict(set)
    for package, target, _, _ in imports():
        edges[package].add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    circles = [package for package in PACKAGES if reaches(package, package, {package})]
    assert circles == []


def test_no_private_name_is_imported_from_another_package():
    private = [f"{where}: {package} imports {name} from {target}" for package, target, where, names in imports()
               for name in names if name.startswith("_")]
    assert private == []


def test_the_rules_cover_every_package_of_the_distribution():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert sorted(name.rstrip("*") for name in include) == sorted(PACKAGES)

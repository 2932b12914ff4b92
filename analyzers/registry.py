"""The analyzer registry: finds every analyzer under ``checks/``, validates its metadata and frameworks."""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from analyzers.model import CATEGORIES, FAMILIES, Analyzer, AnalyzerMeta, Parameter
from analyzers.sql import SqlAnalyzer
from mlspm.enums import Severity

ROOT = Path(__file__).resolve().parent
CHECKS = ROOT / "checks"
FRAMEWORKS = ROOT / "frameworks"
_ID = re.compile(rf"^({'|'.join(FAMILIES)})_[a-z0-9]+(_[a-z0-9]+)+$")
_REQUIRED = (
    "id",
    "title",
    "category",
    "severity",
    "description",
    "risk",
    "remediation",
    "references",
    "frameworks",
    "parameters",
)
_TYPES: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": (int, float),
    "str": str,
    "bool": bool,
    "list": list,
}


class RegistryError(ValueError):
    """An analyzer's metadata or code is invalid (a bug in the analyzer pack, caught at load)."""


@dataclass(frozen=True)
class Control:
    id: str
    title: str


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    version: str
    url: str
    controls: tuple[Control, ...]


@cache
def frameworks() -> dict[str, Framework]:
    """Every framework crosswalk shipped in ``frameworks/*.json``, by id."""
    found: dict[str, Framework] = {}
    for path in sorted(FRAMEWORKS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        controls = tuple(Control(str(c["id"]), str(c["title"])) for c in data["controls"])
        found[data["id"]] = Framework(
            data["id"], data["name"], data.get("version", ""), data.get("url", ""), controls
        )
    return found


@cache
def analyzers() -> tuple[Analyzer, ...]:
    """Every analyzer, validated, in id order; raises RegistryError naming the bad file."""
    loaded: list[Analyzer] = []
    seen: set[str] = set()
    known_controls = {f"{fw.id}:{c.id}" for fw in frameworks().values() for c in fw.controls}
    for meta_path in sorted(CHECKS.rglob("*.json")):
        meta = _meta(meta_path, known_controls)
        if meta.id in seen:
            raise RegistryError(f"{meta_path}: analyzer id {meta.id} is used twice")
        seen.add(meta.id)
        loaded.append(_code(meta, meta_path))
    return tuple(sorted(loaded, key=lambda a: a.meta.id))


def by_id() -> dict[str, Analyzer]:
    return {a.meta.id: a for a in analyzers()}


def _meta(path: Path, known_controls: set[str]) -> AnalyzerMeta:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise RegistryError(f"{path}: invalid JSON: {exc}") from None
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise RegistryError(f"{path}: metadata lacks {', '.join(missing)}")
    ident = data["id"]
    if ident != path.stem or not _ID.match(ident):
        raise RegistryError(
            f"{path}: id {ident!r} must equal the file name and look like family_subject_condition "
            f"with family one of {', '.join(FAMILIES)}"
        )
    if data["category"] not in CATEGORIES:
        raise RegistryError(f"{path}: category {data['category']!r} is not one of {', '.join(CATEGORIES)}")
    try:
        severity = Severity.parse(data["severity"])
    except ValueError as exc:
        raise RegistryError(f"{path}: {exc}") from None
    for tag in data["frameworks"]:
        if tag not in known_controls:
            raise RegistryError(f"{path}: framework tag {tag!r} names no control in analyzers/frameworks/")
    params: dict[str, Parameter] = {}
    for name, spec in data["parameters"].items():
        kind = spec.get("type", "")
        if kind not in _TYPES or not isinstance(spec.get("default"), _TYPES[kind]):
            raise RegistryError(
                f"{path}: parameter {name} needs a type ({', '.join(_TYPES)}) and a default of it"
            )
        params[name] = Parameter(name, spec["default"], spec.get("description", ""), kind)
    for text_field in ("title", "description", "risk", "remediation"):
        if not str(data[text_field]).strip():
            raise RegistryError(f"{path}: {text_field} is empty")
    return AnalyzerMeta(
        id=ident,
        title=data["title"],
        category=data["category"],
        severity=severity,
        description=data["description"],
        risk=data["risk"],
        remediation=data["remediation"],
        references=tuple(data["references"]),
        frameworks=tuple(data["frameworks"]),
        parameters=params,
        version=int(data.get("version", 1)),
        discovers=bool(data.get("discovers", False)),
    )


def _code(meta: AnalyzerMeta, meta_path: Path) -> Analyzer:
    sql_path = meta_path.with_suffix(".sql")
    py_path = meta_path.with_suffix(".py")
    if sql_path.exists() == py_path.exists():
        raise RegistryError(f"{meta_path}: needs exactly one of {sql_path.name} or {py_path.name}")
    if sql_path.exists():
        try:
            return SqlAnalyzer(meta, sql_path)
        except ValueError as exc:
            raise RegistryError(str(exc)) from None
    module_name = ".".join(py_path.relative_to(ROOT.parent).with_suffix("").parts)
    module = importlib.import_module(module_name)
    check = getattr(module, "Check", None)
    if check is None:
        raise RegistryError(f"{py_path}: defines no class Check")
    instance: Analyzer = check(meta)
    return instance

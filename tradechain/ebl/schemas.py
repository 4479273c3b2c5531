"""DCSA's OpenAPI documents read as JSON schemas: load one component (``TransportDocument``, ``EblEnvelope``...)
of a YAML file of ``shared/dcsa-ebl-v3/`` and validate an instance against it.

DCSA publishes eBL 3.0 as OpenAPI 3.0 documents, whose ``components.schemas`` are JSON Schema with a few OpenAPI
words. They are turned into JSON Schema Draft 2020-12 once per file: ``#/components/schemas/X`` references point to
``#/$defs/X``, ``nullable: true`` adds ``"null"`` to the type, the boolean ``exclusiveMinimum``/``exclusiveMaximum``
of OpenAPI 3.0 (JSON Schema draft 4) become the numeric bounds of 2020-12, and annotations of OpenAPI only
(``example``, ``discriminator``, ``xml``, ``externalDocs``) are dropped (a discriminator only picks among the
``oneOf`` branches, which are still checked). ``format`` is checked where jsonschema can (``date``, ``uri``...).

The schemas live beside the project, never inside it (Apache-2.0, DCSA's): ``$TRADECHAIN_DCSA_SCHEMAS`` names the
folder, else ``shared/dcsa-ebl-v3`` is looked for in the parent of the repository (``/work/shared`` for
``/work/main``) and, for a git worktree kept in a subfolder, in the parents above it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tradechain.errors import ExitCode, TradechainError

SCHEMAS_ENV = "TRADECHAIN_DCSA_SCHEMAS"
SHARED_SUBDIR = Path("shared") / "dcsa-ebl-v3"
EBL = "EBL_v3.0.0.yaml"
ISSUANCE = "EBL_ISS_v3.0.0.yaml"
SURRENDER = "EBL_SUR_v3.0.0.yaml"
PINT = "EBL_PINT_v3.0.0.yaml"

_REF_PREFIX = "#/components/schemas/"
_OPENAPI_ONLY = frozenset({"example", "examples", "discriminator", "xml", "externalDocs", "nullable"})
_DRAFT = "https://json-schema.org/draft/2020-12/schema"


class SchemasMissing(TradechainError, FileNotFoundError):
    """The DCSA schema folder (or one file of it) is not where it is looked for."""

    exit_code = ExitCode.BAD_INPUT
    kind = "schemas-missing"


class SchemaViolation(TradechainError, ValueError):
    """An instance breaks a DCSA schema. ``errors`` lists (JSON path, rule), one per failure; the message has one
    line per failure, ``$.path.to.field: rule``, after a headline naming the component and the file."""

    exit_code = ExitCode.BAD_INPUT
    kind = "schema-violation"

    def __init__(self, component: str, yaml_name: str, errors: list[tuple[str, str]]) -> None:
        lines = [f"{path}: {rule}" for path, rule in errors]
        super().__init__(f"{component} ({yaml_name}): {len(errors)} error(s)\n" + "\n".join(lines))
        self.component = component
        self.errors = errors

    def _json_fields(self) -> dict[str, Any]:
        return {"component": self.component, "errors": [{"path": p, "rule": r} for p, r in self.errors]}


def repo_root() -> Path:
    """The repository (or worktree) this package is in: ``tradechain/ebl/`` is two levels below it."""
    return Path(__file__).resolve().parents[2]


def schemas_dir() -> Path:
    """The folder of DCSA's YAML files: ``$TRADECHAIN_DCSA_SCHEMAS``, else the nearest ``shared/dcsa-ebl-v3``
    beside the repository or above it. Raises :class:`SchemasMissing` naming where it looked."""
    given = os.environ.get(SCHEMAS_ENV, "").strip()
    if given:
        folder = Path(given).expanduser()
        if not folder.is_dir():
            raise SchemasMissing(f"{SCHEMAS_ENV}: {folder} is no folder (the DCSA eBL 3.0 YAML files)")
        return folder
    looked = []
    for parent in repo_root().parents:
        folder = parent / SHARED_SUBDIR
        if folder.is_dir():
            return folder
        looked.append(str(folder))
    raise SchemasMissing(
        f"the DCSA eBL 3.0 schemas are absent: no {SHARED_SUBDIR} beside the repository ({looked[0]}) or above it;"
        f" set {SCHEMAS_ENV} to their folder"
    )


def schema_path(yaml_name: str | Path) -> Path:
    """A YAML file of the DCSA folder by name (``EBL_v3.0.0.yaml``), or a path as given if it has a folder."""
    path = Path(yaml_name)
    if path.parent == Path("."):
        path = schemas_dir() / path
    if not path.is_file():
        raise SchemasMissing(f"{path}: no such DCSA schema file")
    return path


@cache
def _definitions(path: Path, mtime_ns: int) -> dict[str, Any]:
    """The ``components.schemas`` of an OpenAPI file, converted to Draft 2020-12 (cached per file version)."""
    with path.open(encoding="utf-8") as f:
        document = yaml.safe_load(f)
    try:
        components = document["components"]["schemas"]
    except (KeyError, TypeError):
        raise SchemasMissing(f"{path}: no components.schemas (not an OpenAPI 3 document)") from None
    return {name: _convert(schema) for name, schema in components.items()}


def _convert(node: Any) -> Any:
    """One OpenAPI 3.0 schema node as JSON Schema 2020-12 (see the module's docstring)."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _OPENAPI_ONLY:
            continue
        if key in ("properties", "patternProperties", "$defs", "definitions"):
            out[key] = {name: _convert(sub) for name, sub in value.items()}
        elif key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX):
            out[key] = "#/$defs/" + value[len(_REF_PREFIX) :]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            continue  # handled with its bound below
        else:
            out[key] = _convert(value)
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(flag) is True and bound in node:
            out[flag] = out.pop(bound)
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def component_schema(yaml_name: str | Path, component: str) -> dict[str, Any]:
    """The JSON schema (Draft 2020-12, self-contained: every component of the file under ``$defs``) of one
    component of a DCSA OpenAPI file."""
    path = schema_path(yaml_name)
    definitions = _definitions(path.resolve(), path.stat().st_mtime_ns)
    if component not in definitions:
        raise SchemasMissing(f"{path.name}: no component schema {component!r}")
    return {"$schema": _DRAFT, "$defs": definitions, "$ref": f"#/$defs/{component}"}


def json_path(parts: Iterable[str | int]) -> str:
    """A JSON path as DCSA's errors write it: ``$.consignmentItems[0].HSCodes``."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def errors_of(instance: object, yaml_name: str | Path, component: str) -> list[tuple[str, str]]:
    """Every failure of ``instance`` against the component, as (JSON path, rule), sorted by path. A missing
    required property is reported at its own path; a failed ``oneOf``/``anyOf`` by its closest branch's errors."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(
        component_schema(yaml_name, component), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    found: set[tuple[str, str]] = set()
    for error in validator.iter_errors(instance):
        found.update(_leaves(error))
    return sorted(found)


def _leaves(error: Any) -> list[tuple[str, str]]:
    from jsonschema.exceptions import best_match

    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = best_match(error.context)
        if deepest is not None and len(deepest.absolute_path) > len(error.absolute_path):
            return _leaves(deepest)
        here = len(error.absolute_path)
        reasons = sorted(
            {
                f"{path[len(json_path(error.absolute_path)) :].lstrip('.') or '.'} {rule}"
                for sub in error.context
                for path, rule in _leaves(sub)
                if len(sub.absolute_path) >= here
            }
        )
        shown = "; ".join(reasons[:4]) + ("; ..." if len(reasons) > 4 else "")
        return [(json_path(error.absolute_path), f"{error.validator}: matches none of the allowed forms ({shown})")]
    parts = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        return [(json_path([*parts, name]), "required property missing") for name in missing]
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return [(json_path(parts), f"{error.validator}: {message}")]


def validate(instance: object, yaml_name: str | Path, component: str) -> None:
    """Raises :class:`SchemaViolation` (one line per failing path and rule) unless ``instance`` is valid against
    the component schema ``component`` of DCSA's ``yaml_name`` (a file name of the DCSA folder, or a path)."""
    errors = errors_of(instance, yaml_name, component)
    if errors:
        raise SchemaViolation(component, Path(yaml_name).name, errors)

"""docs/architecture.md stays true to the code: the imports follow its "## Dependencies", the
modules import each other without cycles, and every code name it mentions exists.

Imports are read with `ast` from every module under src/tenderproof, at module level and inside
functions, relative imports resolved. `from pkg import name` is an import of the module
`pkg.name` when there is one, else of `pkg`. The dependency rule covers every import (also those
under `if TYPE_CHECKING:`: a type is a dependency too); the cycle rule ignores those, as they
never run. The root package `tenderproof` (it only holds `__version__`) may be imported by all.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import tomllib
from collections import deque
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "tenderproof"
DOC = ROOT / "docs" / "architecture.md"
ARROW = re.compile(r"^\s*([\w.]+)\s*->\s*(.*)$")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the tenderproof module it imports
    line: int
    statement: str
    type_checking: bool

    def where(self) -> str:
        return f"{self.module} (src/tenderproof/{module_path(self.module).relative_to(SRC)}:{self.line}: `{self.statement}`)"


@cache
def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def module_path(name: str) -> Path:
    return modules()[name]


def layer(module: str) -> str:
    """The package (or top-level module) a module belongs to: `tenderproof.app.writer` → `app`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _statements(node: ast.AST, type_checking: bool = False):
    """Every import statement under `node`, with whether it sits under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, type_checking
        elif isinstance(child, ast.If) and _is_type_checking(child):
            for stmt in child.body:
                yield from _statements(ast.Module(body=[stmt], type_ignores=[]), True)
            for stmt in child.orelse:
                yield from _statements(ast.Module(body=[stmt], type_ignores=[]), type_checking)
        else:
            yield from _statements(child, type_checking)


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    known = modules()
    if isinstance(node, ast.Import):
        found = []
        for alias in node.names:
            parts = alias.name.split(".")
            found += [n for n in (".".join(parts[:i]) for i in range(len(parts), 0, -1)) if n in known][:1]
        return found
    if node.level:
        base = module.split(".") if module_path(module).name == "__init__.py" else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if source not in known:
        return []
    return sorted({f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names})


@cache
def imports() -> tuple[Import, ...]:
    out = []
    for module, path in modules().items():
        for node, type_checking in _statements(ast.parse(path.read_text(), str(path))):
            for target in _targets(module, node):
                out.append(Import(module, target, node.lineno, ast.unparse(node), type_checking))
    return tuple(out)


def documented() -> dict[str, set[str]]:
    """The machine-readable block of "## Dependencies": `package -> allowed, packages`."""
    text = DOC.read_text()
    section = text.split("\n## Dependencies", 1)
    assert len(section) == 2, "docs/architecture.md has no '## Dependencies' section"
    body = section[1].split("\n## ", 1)[0]
    for block in re.findall(r"```[^\n]*\n(.*?)```", body, re.S):
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if lines and all(ARROW.match(ln) for ln in lines):
            rules: dict[str, set[str]] = {}
            for ln in lines:
                src, dst = ARROW.match(ln).groups()  # type: ignore[union-attr]
                assert src not in rules, f"'{src} ->' is listed twice in docs/architecture.md"
                rules[src] = {d.strip() for d in dst.split(",") if d.strip()}
            return rules
    raise AssertionError("'## Dependencies' in docs/architecture.md has no block of `package -> packages` lines")


def test_the_documented_dependencies_name_every_package_and_point_inward():
    rules = documented()
    layers = {layer(m) for m in modules()} - {"tenderproof"}
    assert set(rules) == layers, f"packages without a line: {sorted(layers - set(rules))}; " \
                                 f"lines for no package: {sorted(set(rules) - layers)}"
    unknown = {f"{a} -> {b}" for a, bs in rules.items() for b in bs if b not in layers}
    assert not unknown, f"arrows to no package: {sorted(unknown)}"
    cycle = find_cycle({a: dict.fromkeys(bs) for a, bs in rules.items()})
    assert cycle is None, "the documented dependencies have a cycle: " + " -> ".join(cycle or [])


def test_every_import_follows_the_documented_dependencies():
    rules = documented()
    broken = [f"{imp.where()} imports {imp.target}: `{layer(imp.module)} -> {layer(imp.target)}` is not in "
              f"docs/architecture.md '## Dependencies' ({layer(imp.module)} -> "
              f"{', '.join(sorted(rules.get(layer(imp.module), []))) or 'nothing'})"
              for imp in imports()
              if layer(imp.target) not in (layer(imp.module), "tenderproof")
              and layer(imp.target) not in rules.get(layer(imp.module), set())]
    assert not broken, "imports against the documented dependencies:\n" + "\n".join(broken)


def find_cycle(graph: dict[str, dict[str, Any]]) -> list[str] | None:
    """One cycle of the graph as a path [a, b, …, a], or None: the shortest back to each node."""
    for start in sorted(graph):
        came: dict[str, str] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in sorted(graph.get(node, {})):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if nxt not in came:
                    came[nxt] = node
                    queue.append(nxt)
    return None


def test_modules_import_each_other_without_cycles():
    graph: dict[str, dict[str, Import]] = {m: {} for m in modules()}
    for imp in imports():
        if not imp.type_checking and imp.target != imp.module:
            graph[imp.module].setdefault(imp.target, imp)
    cycle = find_cycle(graph)
    if cycle is not None:
        steps = "\n".join(f"  {graph[a][b].where()} imports {b}" for a, b in pairwise(cycle))
        raise AssertionError(f"import cycle {' -> '.join(cycle)}:\n{steps}")


# --- code names in the document ------------------------------------------------------------------

#: A backticked span is a code name when it is a dotted Python name, optionally called
#: (`Refused(logged=True)`, `decide(state, …) -> events`). Anything with a space outside the call,
#: a hyphen, a colon or an ellipsis is not (SQL, shell, HTTP, refusal codes, deadline kinds).
NAME = re.compile(r"^(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?P<call>\((?P<args>[^()]*)\))?(?:\s*->\s*\w+)?$")
#: Spans that look like names but are plain words of the text, each with its reason.
NOT_CODE = {
    "OR": "an SQL keyword",
    "pg_dump": "PostgreSQL's dump tool",
    "replaces": "the link bids deliberately do not carry",
}


def doc_spans() -> list[str]:
    return sorted(set(re.findall(r"`([^`\n]+)`", DOC.read_text())))


@cache
def loaded() -> dict[str, Any]:
    """Every module of the package, imported (Alembic's migration scripts run only under Alembic)."""
    return {m: importlib.import_module(m) for m in modules() if "__main__" not in m and ".migrations" not in m}


@cache
def strings() -> frozenset[str]:
    """Every string constant of the code: payload keys, flags, refusal codes, scenario names."""
    return frozenset(n.value for p in modules().values() for n in ast.walk(ast.parse(p.read_text()))
                     if isinstance(n, ast.Constant) and isinstance(n.value, str))


@cache
def tables() -> dict[str, set[str]]:
    from tenderproof.store.schema import metadata

    return {t.name: {col.name for col in t.columns} for t in metadata.tables.values()}


def dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=\[ ;]", d)[0].replace("-", "_").lower() for d in project["dependencies"]}


def _instance_attribute(cls: type, name: str) -> bool:
    """`self.name = …` in the class's own source: an attribute only instances have."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return False
    return re.search(rf"\bself\.{re.escape(name)}\s*[:=]", source) is not None


def _chain(obj: Any, rest: list[str]) -> Any:
    for i, part in enumerate(rest):
        if hasattr(obj, part):
            obj = getattr(obj, part)
        elif inspect.isclass(obj) and i == len(rest) - 1 and _instance_attribute(obj, part):
            return part
        else:
            return None
    return obj


def resolve(name: str) -> Any:
    """What a dotted name in the document stands for, or None. In order: a module of tenderproof
    named by its full name or any tail of it (`app.writer`, `tiles`) then attributes
    (`tiles.check_entry`); a class defined in tenderproof then attributes (`Log.append`); any
    table of store/schema.py and its columns (`tenders.state`); any name defined in a module or
    class of tenderproof (`read_tiles`); an event type with a payload field (`award.decided.supersedes`);
    a string the code uses (`sealed_actor`); a dependency of the project (`holidays`)."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        for module, obj in loaded().items():
            if (module == head or module.endswith("." + head)) and (found := _chain(obj, parts[i:])) is not None:
                return found
    for module, obj in loaded().items():
        cls = vars(obj).get(parts[0])
        if inspect.isclass(cls) and cls.__module__ == module and (found := _chain(cls, parts[1:])) is not None:
            return found
    if parts[0] in tables() and (len(parts) == 1 or (len(parts) == 2 and parts[1] in tables()[parts[0]])):
        return tables()[parts[0]]
    if len(parts) == 1:
        for module, obj in loaded().items():
            if name in vars(obj) or any(inspect.isclass(v) and v.__module__ == module and (
                    hasattr(v, name) or _instance_attribute(v, name)) for v in vars(obj).values()):
                return name
    from tenderproof.domain.events import EventType

    for etype in EventType:
        if name == etype or (name.startswith(etype + ".") and name[len(etype) + 1:] in strings()):
            return etype
    if len(parts) == 1 and (name in strings() or name.lower() in dependencies()):
        return name
    return None


def _arguments_exist(target: Any, args: str) -> bool:
    """`f(key=…)`: each keyword is a parameter of f; `table(a, b)`: each is a column."""
    if isinstance(target, set):
        return {a.strip() for a in args.split(",")} <= target
    keywords = [a.split("=")[0].strip() for a in args.split(",") if "=" in a]
    if not keywords or not callable(target):
        return True
    return set(keywords) <= set(inspect.signature(target).parameters)


def test_every_code_name_in_the_document_exists():
    unresolved = []
    for span in doc_spans():
        if ("/" in span or span.endswith((".toml", ".md"))) and " " not in span:
            # A path, from the repository's root or the package's (`domain/state.py`); `<part>`
            # stands for any name.
            pattern = re.sub(r"<[^>]+>", "*", span.rstrip("/"))
            if not any(any(base.glob(pattern)) for base in (ROOT, SRC)):
                unresolved.append(f"`{span}` (no such file)")
            continue
        m = NAME.match(span)
        if m is None or span in NOT_CODE:
            continue
        name = m["name"]
        if name.endswith(".py"):  # a module's file name
            found: Any = [p for p in modules().values() if p.name == name] or None
        else:
            found = resolve(name)
        if found is None:
            unresolved.append(f"`{span}`")
        elif m["args"] and not _arguments_exist(found, m["args"]):
            unresolved.append(f"`{span}` (no such parameter or column)")
    assert not unresolved, "docs/architecture.md names what the code does not have:\n" + "\n".join(unresolved)

"""Loading schemes from YAML, bilingual error messages, and the scheme registry.

A bad file is refused with one ``SchemeError`` listing every problem found, each with the
file, the path inside it (``grades[2].decisions.allowed[0]``) and what is wrong, in Chinese
and English: the people fixing a scheme file are office staff, not Python programmers.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .model import Issue, Scheme, SchemeRuleError

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
SCHEME_SUFFIXES = (".yaml", ".yml")


class SchemeError(Exception):
    """A scheme file that cannot be used; ``issues`` lists every problem found."""

    def __init__(self, source: str, issues: Sequence[Issue]) -> None:
        self.source = source
        self.issues = tuple(issues)
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [f"方案文件 {self.source} 无效 / invalid scheme file {self.source}:"]
        for issue in self.issues:
            where = issue.path or "(整个文件 / whole file)"
            lines.append(f"  {self.source}: {where}: {issue.zh} / {issue.en}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------------------


class UniqueKeySafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice.

    Plain YAML keeps the last value silently, which would let a second ``grades:`` block
    replace the first without anyone noticing.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable key: SafeLoader reports it with its own message
            if duplicate:
                raise _DuplicateKey(key, seen[key], key_node)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, first: yaml.Node, second: yaml.Node) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key
        self.first = first
        self.second = second


def _duplicate_keys(node: yaml.Node, path: str) -> Iterator[Issue]:
    """Find duplicate mapping keys in a composed document, with their paths.

    The loader class above would also stop at the first duplicate, but walking the node
    tree first gives the path inside the document and reports every duplicate at once.
    """
    if isinstance(node, yaml.MappingNode):
        # Keyed by (tag, text) so that 1 and "1" are different keys, as in YAML itself.
        seen: dict[tuple[str, str], yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key == "<<":
                continue
            ident = (key_node.tag, key) if key is not None else None
            sub = _join(path, key) if key is not None else path
            if ident is not None and ident in seen:
                line = key_node.start_mark.line + 1
                first = seen[ident].start_mark.line + 1
                yield Issue(
                    sub,
                    f"重复的键 {key!r}（第 {line} 行，第一次出现在第 {first} 行）",
                    f"duplicate key {key!r} at line {line} (first at line {first})",
                )
            elif ident is not None:
                seen[ident] = key_node
            yield from _duplicate_keys(value_node, sub)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, f"{path}[{index}]")


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


# YAML anchors and aliases let a small file stand for a huge tree (each alias repeats a
# whole subtree): a "billion laughs" file of a few hundred bytes would make the key check
# and validation walk every copy for hours. The built-in schemes have a few thousand nodes;
# this leaves room for a city's far larger one. Checked here, so the web upload, the data
# directory and `fengping scheme check` all refuse such a file before expanding it.
MAX_EXPANDED_NODES = 200_000


def expanded_size(root: yaml.Node | None) -> int:
    """Number of YAML nodes once every alias is expanded, computed without expanding
    (each node is measured once, so this is linear in the size of the file)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 1  # a cycle counts once; SafeLoader refuses recursive aliases
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        sizes[id(node)] = total
        return total

    return size(root) if root is not None else 0


def _parse_yaml(text: str, source: str) -> Any:
    loader = UniqueKeySafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SchemeError(source, [Issue("", "文件为空", "the file is empty")])
        if expanded_size(node) > MAX_EXPANDED_NODES:
            raise SchemeError(
                source,
                [
                    Issue(
                        "",
                        "文件展开后过大（YAML 锚点/别名重复引用过多）",
                        "the file is too large once its YAML aliases are expanded",
                    )
                ],
            )
        duplicates = list(_duplicate_keys(node, ""))
        if duplicates:
            raise SchemeError(source, duplicates)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or str(exc)
        if mark is None:
            issue = Issue("", f"YAML 语法错误：{problem}", f"YAML syntax error: {problem}")
        else:
            line, column = mark.line + 1, mark.column + 1
            issue = Issue(
                "",
                f"YAML 语法错误（第 {line} 行，第 {column} 列）：{problem}",
                f"YAML syntax error at line {line}, column {column}: {problem}",
            )
        raise SchemeError(source, [issue]) from exc
    except _DuplicateKey as exc:  # pragma: no cover - the node walk finds these first
        line = exc.second.start_mark.line + 1
        issue = Issue("", f"重复的键 {exc.key!r}（第 {line} 行）", f"duplicate key at line {line}")
        raise SchemeError(source, [issue]) from exc
    except yaml.YAMLError as exc:
        raise SchemeError(source, [Issue("", f"YAML 错误：{exc}", f"YAML error: {exc}")]) from exc
    finally:
        loader.dispose()


# ---------------------------------------------------------------------------------------
# pydantic errors → bilingual issues
# ---------------------------------------------------------------------------------------

_TYPE_NAMES = {
    "string_type": ("字符串", "a string"),
    "int_type": ("整数", "an integer"),
    "float_type": ("数字", "a number"),
    "bool_type": ("布尔值（true/false）", "a boolean (true/false)"),
    "list_type": ("列表", "a list"),
    "dict_type": ("映射（键: 值）", "a mapping (key: value)"),
    "model_type": ("映射（键: 值）", "a mapping (key: value)"),
    "model_attributes_type": ("映射（键: 值）", "a mapping (key: value)"),
    "int_from_float": ("整数", "a whole number"),
}


def _loc_to_path(loc: tuple[int | str, ...], data: Any) -> str:
    """Turn a pydantic location into a YAML path, dropping discriminator tags.

    For a tagged union pydantic inserts the tag value (``method.composite.bands``); the
    file has no such key, so it is skipped by walking the input alongside the location.
    """
    parts: list[str] = []
    current: Any = data
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
            current = current[part] if isinstance(current, list) and part < len(current) else None
            continue
        if isinstance(current, dict) and part not in current and current.get("kind") == part:
            continue  # discriminator tag, not a key of the file
        if part.startswith("function-") or part == "[key]":
            continue
        parts.append(f".{part}" if parts else part)
        current = current.get(part) if isinstance(current, dict) else None
    return "".join(parts)


def _translate(error: ErrorDetails, path: str) -> Issue:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    msg = error["msg"]
    field = path.rsplit(".", 1)[-1] if path else ""
    if kind == "missing":
        return Issue(path, f"缺少字段 {field}", f"missing field {field}")
    if kind == "extra_forbidden":
        return Issue(path, f"不允许的字段 {field}（未知的键）", f"field {field} is not allowed")
    if kind in _TYPE_NAMES:
        zh, en = _TYPE_NAMES[kind]
        got = type(error.get("input")).__name__
        return Issue(
            path, f"类型错误：应为{zh}（实际为 {got}）", f"wrong type: expected {en}, got {got}"
        )
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        return Issue(
            path,
            f"取值无效 {error.get('input')!r}，应为 {expected}",
            f"invalid value {error.get('input')!r}; expected {expected}",
        )
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ctx.get("expected_tags", "")
        if kind == "union_tag_not_found":
            return Issue(path, f"缺少字段 kind（可选：{tags}）", f"missing field kind ({tags})")
        return Issue(
            path,
            f"未知的类型 kind={ctx.get('tag')!r}，应为 {tags}",
            f"unknown kind {ctx.get('tag')!r}; expected {tags}",
        )
    bounds = {
        "greater_than_equal": ("必须大于或等于 {}", "must be >= {}", "ge"),
        "greater_than": ("必须大于 {}", "must be > {}", "gt"),
        "less_than_equal": ("必须小于或等于 {}", "must be <= {}", "le"),
        "less_than": ("必须小于 {}", "must be < {}", "lt"),
    }
    if kind in bounds:
        zh, en, key = bounds[kind]
        return Issue(
            path,
            "取值无效：" + zh.format(ctx.get(key)),
            "invalid value: " + en.format(ctx.get(key)),
        )
    if kind == "string_pattern_mismatch":
        return Issue(
            path,
            f"格式无效 {error.get('input')!r}：代码只能由字母、数字、_ . - 组成且以字母开头",
            f"invalid format {error.get('input')!r}: must match {ctx.get('pattern')}",
        )
    if kind == "too_short":
        n = ctx.get("min_length")
        if error.get("input") in ("", None) or isinstance(error.get("input"), str):
            return Issue(path, "不能为空", "must not be empty")
        return Issue(path, f"至少需要 {n} 项", f"needs at least {n} item(s)")
    if kind == "string_too_short":
        return Issue(path, "不能为空", "must not be empty")
    if kind == "too_long":
        return Issue(
            path, f"最多 {ctx.get('max_length')} 项", f"at most {ctx.get('max_length')} items"
        )
    if kind == "string_too_long":
        return Issue(path, f"过长（最多 {ctx.get('max_length')} 个字符）", "too long")
    return Issue(path, f"取值无效：{msg}", f"invalid value: {msg}")


def _issues_from_validation(exc: ValidationError, data: Any) -> list[Issue]:
    issues: list[Issue] = []
    for error in exc.errors():
        inner = (error.get("ctx") or {}).get("error")
        if isinstance(inner, SchemeRuleError):
            issues.extend(inner.issues)
            continue
        issues.append(_translate(error, _loc_to_path(tuple(error["loc"]), data)))
    return issues


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------


def load_text(text: str, name: str) -> Scheme:
    """Parse and validate a scheme from YAML text; ``name`` appears in error messages."""
    data = _parse_yaml(text, name)
    if not isinstance(data, dict):
        raise SchemeError(
            name,
            [Issue("", "顶层必须是映射（键: 值）", "the top level must be a mapping (key: value)")],
        )
    try:
        return Scheme.model_validate(data)
    except ValidationError as exc:
        raise SchemeError(name, _issues_from_validation(exc, data)) from None


def load_file(path: str | Path) -> Scheme:
    """Load one scheme file; a missing or unreadable file is a SchemeError too."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SchemeError(
            str(path), [Issue("", "文件不是 UTF-8 编码", f"the file is not UTF-8: {exc}")]
        ) from exc
    except OSError as exc:
        raise SchemeError(
            str(path), [Issue("", f"无法读取文件：{exc.strerror}", f"cannot read: {exc}")]
        ) from exc
    return load_text(text, str(path))


def check_file(path: str | Path) -> Scheme:
    """For the CLI: load and validate a file, raising SchemeError when it is bad."""
    return load_file(path)


# ---------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemeEntry:
    scheme: Scheme
    path: Path
    builtin: bool


def _scheme_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in SCHEME_SUFFIXES and p.is_file())


def _load_dir(directory: Path, builtin: bool) -> list[SchemeEntry]:
    entries = []
    for path in _scheme_files(directory):
        scheme = load_file(path)
        # The file name is how people find a scheme on disk; keep it equal to the key.
        if scheme.key != path.stem:
            raise SchemeError(
                str(path),
                [
                    Issue(
                        "key",
                        f"方案键 {scheme.key!r} 与文件名 {path.stem!r} 不一致",
                        f"key {scheme.key!r} does not match the file name {path.stem!r}",
                    )
                ],
            )
        entries.append(SchemeEntry(scheme, path, builtin))
    return entries


@functools.cache
def _builtin_entries() -> tuple[SchemeEntry, ...]:
    # Built-in files ship with the code and never change while the process runs.
    return tuple(_load_dir(BUILTIN_DIR, builtin=True))


def load_builtin() -> dict[str, Scheme]:
    """The four built-in schemes, by key."""
    return {entry.scheme.key: entry.scheme for entry in _builtin_entries()}


def list_entries(extra_dirs: Iterable[str | Path] = ()) -> list[SchemeEntry]:
    """Built-in schemes plus those in ``extra_dirs`` (e.g. an office's own directory).

    Two files with the same key are an error: silently preferring one would make the
    result depend on directory order.
    """
    entries = list(_builtin_entries())
    for directory in extra_dirs:
        directory = Path(directory)
        if not directory.is_dir():
            raise SchemeError(
                str(directory), [Issue("", "目录不存在", "the directory does not exist")]
            )
        entries.extend(_load_dir(directory, builtin=False))
    seen: dict[str, SchemeEntry] = {}
    for entry in entries:
        key = entry.scheme.key
        if key in seen:
            raise SchemeError(
                str(entry.path),
                [
                    Issue(
                        "key",
                        f"方案键 {key!r} 已被 {seen[key].path} 使用",
                        f"key {key!r} is already used by {seen[key].path}",
                    )
                ],
            )
        seen[key] = entry
    return sorted(entries, key=lambda e: e.scheme.key)


def list_schemes(extra_dirs: Iterable[str | Path] = ()) -> list[Scheme]:
    """Every available scheme, sorted by key."""
    return [entry.scheme for entry in list_entries(extra_dirs)]


def get(key: str, extra_dirs: Iterable[str | Path] = ()) -> Scheme:
    """The scheme with ``key``; KeyError when there is none."""
    for entry in list_entries(extra_dirs):
        if entry.scheme.key == key:
            return entry.scheme
    raise KeyError(f"unknown scheme {key!r} / 未知的方案 {key!r}")

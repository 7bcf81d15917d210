"""Go `text/template` as Argo CD runs it on ApplicationSet fields (`goTemplate: true`).

Argo CD executes each string field of the template as its own Go template over the generator's
parameters (`map[string]interface{}` decoded from JSON), with Sprig and a few functions of its
own. This module parses and executes that language: text, actions, pipelines, variables,
if/else if/else, range (with `$i, $v`), with, break/continue, and the builtin functions; the
functions themselves live in `appset.functions`. What Argo CD would reject is a TemplateError
(the Application is not generated there either); what Argo CD accepts but we do not evaluate
(`define`/`template`/`block`, a Sprig function not implemented here) is Unsupported, naming the
construct, so a caller can say exactly why an ApplicationSet was not expanded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_lint.appset.values import MISSING, PartialParams, UnknownValue, go_type, printed, truth


class TemplateError(Exception):
    """The template fails as it fails in Argo CD: no Application is generated from it."""

    pointer: tuple[str | int, ...] = ()  # where the failing string sits, once known


class Unsupported(Exception):
    """A construct Argo CD accepts that this evaluator does not run (named in `construct`)."""

    pointer: tuple[str | int, ...] = ()

    def __init__(self, construct: str) -> None:
        super().__init__(f"unsupported: {construct}")
        self.construct = construct


class StepBudget:
    """The template steps left for one ApplicationSet, all its parameter sets together: the
    per-execution limit (MAX_STEPS) alone lets a 1,000-element matrix whose template loops
    100,000 times run for minutes."""

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.left = steps


class BudgetExhausted(Exception):
    """An ApplicationSet's templates used up its StepBudget: the rest is not evaluated (not a
    TemplateError: Argo CD, which has no such budget, would render them)."""

    def __init__(self, steps: int) -> None:
        super().__init__(f"its templates ran more than {steps:,} steps (gitops-lint's budget for one ApplicationSet)")
        self.steps = steps


@dataclass(frozen=True)
class Options:
    """`goTemplateOptions` of the ApplicationSet (and the run's step budget for it)."""

    missingkey_error: bool = False
    budget: StepBudget | None = field(default=None, compare=False, hash=False)

    @classmethod
    def parse(cls, options: Any) -> Options:
        items = [str(o) for o in options] if isinstance(options, list) else []
        return cls(missingkey_error="missingkey=error" in items)


DEFAULT_OPTIONS = Options()


# --- lexing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # field, var, ident, string, number, bool, nil, char, punct, keyword
    value: Any
    spaced: bool  # whitespace before it (a chain `(x).a` has none)


KEYWORDS = frozenset(
    {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"}
)
_SPACE = " \t\r\n"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELD_CHAIN = re.compile(r"(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_NUMBER = re.compile(
    r"[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)(?:i)?"
)
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "0": "\0",
}


def _unquote(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        code = body[i + 1 : i + 2]
        if code in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[code]
            digits = body[i + 2 : i + 2 + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise TemplateError(f'invalid escape in string "{body}"')
            out.append(chr(int(digits, 16)))
            i += 2 + width
        elif code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        else:
            raise TemplateError(f"invalid escape \\{code} in string")
    return "".join(out)


def _tokens(source: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    spaced = True
    while i < len(source):
        char = source[i]
        if char in _SPACE:
            spaced = True
            i += 1
            continue
        start = i
        if char == '"':
            i += 1
            while i < len(source) and source[i] != '"':
                i += 2 if source[i] == "\\" else 1
            if i >= len(source):
                raise TemplateError("unterminated quoted string")
            out.append(Token("string", _unquote(source[start + 1 : i]), spaced))
            i += 1
        elif char == "`":
            end = source.find("`", i + 1)
            if end < 0:
                raise TemplateError("unterminated raw quoted string")
            out.append(Token("string", source[i + 1 : end], spaced))
            i = end + 1
        elif char == "'":
            end = source.find("'", i + 1)
            body = _unquote(source[i + 1 : end]) if end > 0 else ""
            if end < 0 or len(body) != 1:
                raise TemplateError("malformed character constant")
            out.append(Token("char", ord(body), spaced))
            i = end + 1
        elif char == "." and (i + 1 >= len(source) or not source[i + 1].isdigit()):
            match = _FIELD_CHAIN.match(source, i)
            if match:
                out.append(Token("field", tuple(match.group()[1:].split(".")), spaced))
                i = match.end()
            else:
                out.append(Token("field", (), spaced))
                i += 1
        elif char == "$":
            name = _IDENT.match(source, i + 1)
            i = name.end() if name else i + 1
            var = "$" + (name.group() if name else "")
            chain = _FIELD_CHAIN.match(source, i)
            fields: tuple[str, ...] = ()
            if chain:
                fields = tuple(chain.group()[1:].split("."))
                i = chain.end()
            out.append(Token("var", (var, fields), spaced))
        elif source.startswith(":=", i):
            out.append(Token("punct", ":=", spaced))
            i += 2
        elif char in "|(),=":
            out.append(Token("punct", char, spaced))
            i += 1
        elif char.isdigit() or (char in "+-." and i + 1 < len(source) and source[i + 1].isdigit()):
            match = _NUMBER.match(source, i)
            if not match:
                raise TemplateError(f"bad number syntax: {source[i : i + 10]!r}")
            out.append(Token("number", _number(match.group()), spaced))
            i = match.end()
        elif _IDENT.match(source, i):
            word = _IDENT.match(source, i).group()  # type: ignore[union-attr]
            i += len(word)
            if word in ("true", "false"):
                out.append(Token("bool", word == "true", spaced))
            elif word == "nil":
                out.append(Token("nil", None, spaced))
            elif word in KEYWORDS:
                out.append(Token("keyword", word, spaced))
            else:
                out.append(Token("ident", word, spaced))
        else:
            raise TemplateError(f"unexpected {char!r} in command")
        spaced = False
        # A field chain straight after ')' or an identifier belongs to it: `(x).a`.
    return out


def _number(text: str) -> int | float:
    clean = text.replace("_", "")
    if clean.endswith("i"):
        raise Unsupported("complex number constant")
    lowered = clean.lower().lstrip("+-")
    sign = -1 if clean.startswith("-") else 1
    try:
        if lowered.startswith("0x"):
            return sign * int(lowered[2:], 16)
        if lowered.startswith("0b"):
            return sign * int(lowered[2:], 2)
        if lowered.startswith("0o") or (
            len(lowered) > 1 and lowered.startswith("0") and lowered.isdigit()
        ):
            return sign * int(lowered.lstrip("0o") or "0", 8)
        if any(c in lowered for c in ".e"):
            return float(clean)
        return int(clean)
    except ValueError as error:
        raise TemplateError(f"bad number syntax: {text}") from error


def _split(text: str) -> Iterator[tuple[str, str]]:
    """('text', chunk) and ('action', inside-the-braces) in order, trim markers applied."""
    i = 0
    while True:
        start = text.find("{{", i)
        if start < 0:
            chunk = text[i:]
            if chunk:
                yield "text", chunk
            return
        chunk = text[i:start]
        inner_start = start + 2
        if text.startswith("-", inner_start) and text[inner_start + 1 : inner_start + 2] in tuple(
            _SPACE
        ):
            chunk = chunk.rstrip(_SPACE)
            inner_start += 2
        if chunk:
            yield "text", chunk
        end = _action_end(text, inner_start)
        if end < 0:
            raise TemplateError("unclosed action")
        inner_end = end
        trim_right = end >= 2 and text[end - 1] == "-" and text[end - 2] in _SPACE
        if trim_right:
            inner_end = end - 1
        inner = text[inner_start:inner_end]
        stripped = inner.strip(_SPACE)
        if stripped.startswith("/*"):
            if not stripped.endswith("*/"):
                raise TemplateError("comment ends before closing delimiter")
        else:
            yield "action", inner
        i = end + 2
        if trim_right:
            rest = text[i:]
            i += len(rest) - len(rest.lstrip(_SPACE))


def _action_end(text: str, i: int) -> int:
    """Where the action's `}}` is, skipping quoted strings and comments."""
    while i < len(text):
        if text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                return -1
            i = close + 2
            continue
        char = text[i]
        if char == "}" and text.startswith("}}", i):
            return i
        if char in "\"'":
            i += 1
            while i < len(text) and text[i] != char:
                if text[i] == "\n":
                    return -1
                i += 2 if text[i] == "\\" else 1
        elif char == "`":
            close = text.find("`", i + 1)
            if close < 0:
                return -1
            i = close
        i += 1
    return -1


# --- parse tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    """An operand: kind is field, var, ident, literal or pipe (a parenthesised pipeline)."""

    kind: str
    value: Any
    chain: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pipe:
    declare: tuple[str, ...]
    assign: bool  # `$x = ...` (reassign) rather than `$x := ...`
    commands: tuple[tuple[Arg, ...], ...]


@dataclass(frozen=True)
class Node:
    kind: str  # text, action, if, range, with, break, continue
    text: str = ""
    pipe: Pipe | None = None
    body: tuple[Node, ...] = ()
    otherwise: tuple[Node, ...] = ()


class _Parser:
    def __init__(self, text: str) -> None:
        self.items = list(_split(text))
        self.pos = 0

    def parse(self) -> tuple[Node, ...]:
        nodes, stop = self._list(top=True)
        if stop is not None:
            raise TemplateError(f"unexpected {{{{{stop[0]}}}}}")
        return nodes

    def _list(self, top: bool = False) -> tuple[tuple[Node, ...], tuple[str, list[Token]] | None]:
        nodes: list[Node] = []
        while self.pos < len(self.items):
            kind, content = self.items[self.pos]
            self.pos += 1
            if kind == "text":
                nodes.append(Node("text", text=content))
                continue
            tokens = _tokens(content)
            if not tokens:
                raise TemplateError("missing value for command")
            head = tokens[0]
            if head.kind == "keyword":
                word = head.value
                if word in ("end", "else"):
                    return tuple(nodes), (word, tokens[1:])
                if word in ("define", "template", "block"):
                    raise Unsupported(f"{{{{{word}}}}}")
                if word in ("break", "continue"):
                    nodes.append(Node(word))
                    continue
                nodes.append(self._control(word, tokens[1:]))
                continue
            nodes.append(Node("action", pipe=_pipe(tokens)))
        if not top:
            raise TemplateError("unexpected EOF")
        return tuple(nodes), None

    def _control(self, word: str, tokens: list[Token]) -> Node:
        pipe = _pipe(tokens, declarations=2 if word == "range" else 1)
        body, stop = self._list()
        assert stop is not None
        otherwise: tuple[Node, ...] = ()
        if stop[0] == "else":
            rest = stop[1]
            if (
                rest
                and rest[0].kind == "keyword"
                and rest[0].value in ("if", "with")
                and word in ("if", "with")
            ):
                # `{{else if x}}` is `{{else}}{{if x}}...{{end}}` sharing the outer end.
                otherwise = (self._control(rest[0].value, rest[1:]),)
                return Node(word, pipe=pipe, body=body, otherwise=otherwise)
            if rest:
                raise TemplateError(f"unexpected {rest[0].value!r} in else")
            otherwise, stop = self._list()
            if stop is None or stop[0] != "end":
                raise TemplateError(f"expected end; found {stop[0] if stop else 'EOF'}")
        if stop[1]:
            raise TemplateError("unexpected tokens in end")
        return Node(word, pipe=pipe, body=body, otherwise=otherwise)


def _pipe(tokens: list[Token], declarations: int = 1) -> Pipe:
    declare: list[str] = []
    assign = False
    for size in range(declarations, 0, -1):
        names = tokens[: 2 * size - 1]
        if (
            len(tokens) > 2 * size - 1
            and tokens[2 * size - 1].kind == "punct"
            and tokens[2 * size - 1].value in (":=", "=")
        ):
            variables = names[0::2]
            commas = names[1::2]
            if all(t.kind == "var" and not t.value[1] for t in variables) and all(
                t.kind == "punct" and t.value == "," for t in commas
            ):
                declare = [t.value[0] for t in variables]
                assign = tokens[2 * size - 1].value == "="
                tokens = tokens[2 * size :]
                break
    commands: list[tuple[Arg, ...]] = []
    current: list[Arg] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "punct" and token.value == "|":
            if not current:
                raise TemplateError("missing command before |")
            commands.append(tuple(current))
            current = []
            i += 1
            continue
        arg, i = _operand(tokens, i)
        current.append(arg)
    if not current:
        raise TemplateError("missing value for command")
    commands.append(tuple(current))
    return Pipe(tuple(declare), assign, tuple(commands))


def _operand(tokens: list[Token], i: int) -> tuple[Arg, int]:
    token = tokens[i]
    if token.kind == "punct" and token.value == "(":
        depth = 0
        for j in range(i, len(tokens)):
            if tokens[j].kind == "punct" and tokens[j].value == "(":
                depth += 1
            elif tokens[j].kind == "punct" and tokens[j].value == ")":
                depth -= 1
                if depth == 0:
                    arg = Arg("pipe", _pipe(tokens[i + 1 : j]))
                    return _chained(arg, tokens, j + 1)
        raise TemplateError("unclosed left paren")
    if token.kind == "field":
        return Arg("field", token.value), i + 1
    if token.kind == "var":
        return Arg("var", token.value[0], token.value[1]), i + 1
    if token.kind == "ident":
        return _chained(Arg("ident", token.value), tokens, i + 1)
    if token.kind in ("string", "number", "bool", "nil", "char"):
        return Arg("literal", token.value), i + 1
    raise TemplateError(f"unexpected {token.value!r} in operand")


def _chained(arg: Arg, tokens: list[Token], i: int) -> tuple[Arg, int]:
    if i < len(tokens) and tokens[i].kind == "field" and not tokens[i].spaced and tokens[i].value:
        return Arg(arg.kind, arg.value, tokens[i].value), i + 1
    return arg, i


# --- execution ----------------------------------------------------------------------------------

Function = Callable[..., Any]


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass
class _State:
    functions: Mapping[str, Function]
    options: Options
    root: Any
    variables: list[tuple[str, Any]] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    steps: int = 0
    limit: int = 0


MAX_STEPS = 100_000  # a template is small; a loop this long is a runaway range
MAX_STEPS_PER_APPLICATIONSET = 1_000_000  # ~1 s of evaluation, whatever the number of elements


@dataclass(frozen=True)
class Template:
    """A parsed Go template; `execute` renders it over one set of parameters."""

    source: str
    nodes: tuple[Node, ...]

    def execute(
        self, data: Any, functions: Mapping[str, Function], options: Options | None = None
    ) -> str:
        state = _State(functions, options or DEFAULT_OPTIONS, data, [("$", data)])
        budget = state.options.budget
        state.limit = MAX_STEPS if budget is None else min(MAX_STEPS, budget.left)
        try:
            _walk(state, self.nodes, data)
        finally:
            if budget is not None:
                budget.left -= state.steps
        return "".join(state.output)


def parse(
    source: str, functions: Mapping[str, Function], known: frozenset[str] = frozenset()
) -> Template:
    """Parse `source`; an unknown function is a TemplateError (Go rejects it at parse time) unless
    it is in `known` (Argo CD has it, we do not), which is Unsupported."""
    nodes = _Parser(source).parse()
    for name in _functions_used(nodes):
        if name not in functions and name not in _BUILTIN_NAMES:
            if name in known:
                raise Unsupported(f"function {name}")
            raise TemplateError(f'function "{name}" not defined')
    return Template(source, nodes)


_BUILTIN_NAMES = frozenset({"and", "or", "not"})


def _functions_used(nodes: tuple[Node, ...]) -> Iterator[str]:
    for node in nodes:
        if node.pipe is not None:
            yield from _pipe_functions(node.pipe)
        yield from _functions_used(node.body)
        yield from _functions_used(node.otherwise)


def _pipe_functions(pipe: Pipe) -> Iterator[str]:
    for command in pipe.commands:
        for arg in command:
            if arg.kind == "ident":
                yield arg.value
            elif arg.kind == "pipe":
                yield from _pipe_functions(arg.value)


def _walk(state: _State, nodes: tuple[Node, ...], dot: Any) -> None:
    mark = len(state.variables)
    try:
        for node in nodes:
            state.steps += 1
            if state.steps > state.limit:
                budget = state.options.budget
                if budget is not None and state.limit < MAX_STEPS:
                    raise BudgetExhausted(budget.steps)
                raise TemplateError(f"template runs more than {MAX_STEPS} steps")
            if node.kind == "text":
                state.output.append(node.text)
            elif node.kind == "action":
                assert node.pipe is not None
                value = _pipeline(state, node.pipe, dot)
                if not node.pipe.declare:
                    state.output.append(printed(value))
            elif node.kind == "if":
                _if(state, node, dot)
            elif node.kind == "with":
                _with(state, node, dot)
            elif node.kind == "range":
                _range(state, node, dot)
            elif node.kind == "break":
                raise _Break()
            elif node.kind == "continue":
                raise _Continue()
    finally:
        del state.variables[mark:]


def _if(state: _State, node: Node, dot: Any) -> None:
    mark = len(state.variables)
    assert node.pipe is not None
    value = _pipeline(state, node.pipe, dot)
    try:
        _walk(state, node.body if truth(value) else node.otherwise, dot)
    finally:
        del state.variables[mark:]


def _with(state: _State, node: Node, dot: Any) -> None:
    mark = len(state.variables)
    assert node.pipe is not None
    value = _pipeline(state, node.pipe, dot)
    try:
        if truth(value):
            _walk(state, node.body, value)
        else:
            _walk(state, node.otherwise, dot)
    finally:
        del state.variables[mark:]


def _range(state: _State, node: Node, dot: Any) -> None:
    assert node.pipe is not None
    pipe = node.pipe
    value = _pipeline(state, Pipe((), False, pipe.commands), dot)
    items: list[tuple[Any, Any]]
    if isinstance(value, Mapping):
        items = [(key, value[key]) for key in sorted(value)]
    elif isinstance(value, list):
        items = list(enumerate(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [(i, i) for i in range(value)]
    elif value is None or value is MISSING:
        items = []
    else:
        raise TemplateError(f"range can't iterate over {printed(value)}")
    if not items:
        _walk(state, node.otherwise, dot)
        return
    mark = len(state.variables)
    try:
        for key, element in items:
            del state.variables[mark:]
            if len(pipe.declare) == 1:
                state.variables.append((pipe.declare[0], element))
            elif len(pipe.declare) == 2:
                state.variables.append((pipe.declare[0], key))
                state.variables.append((pipe.declare[1], element))
            try:
                _walk(state, node.body, element)
            except _Continue:
                continue
            except _Break:
                break
    finally:
        del state.variables[mark:]


def _pipeline(state: _State, pipe: Pipe, dot: Any) -> Any:
    value: Any = _NO_FINAL
    for command in pipe.commands:
        value = _command(state, command, dot, value)
    for name in pipe.declare:
        if pipe.assign:
            for index in range(len(state.variables) - 1, -1, -1):
                if state.variables[index][0] == name:
                    state.variables[index] = (name, value)
                    break
            else:
                raise TemplateError(f"undefined variable: {name}")
        else:
            state.variables.append((name, value))
    return value


_NO_FINAL = object()  # no value piped into this command


def _command(state: _State, command: tuple[Arg, ...], dot: Any, final: Any) -> Any:
    head = command[0]
    if head.kind == "ident" and not head.chain:
        return _call(state, head.value, command[1:], dot, final)
    if len(command) > 1 or final is not _NO_FINAL:
        if head.kind in ("field", "var"):
            raise Unsupported("method call with arguments")
        raise TemplateError(f"can't give argument to non-function {_describe(head)}")
    return _argument(state, head, dot)


def _describe(arg: Arg) -> str:
    if arg.kind == "literal":
        return printed(arg.value)
    return str(arg.value)


def _argument(state: _State, arg: Arg, dot: Any) -> Any:
    if arg.kind == "literal":
        return arg.value
    if arg.kind == "field":
        return _fields(state, dot, arg.value)
    if arg.kind == "var":
        return _fields(state, _variable(state, arg.value), arg.chain)
    if arg.kind == "pipe":
        return _fields(state, _pipeline(state, arg.value, dot), arg.chain)
    if arg.kind == "ident":
        return _fields(state, _call(state, arg.value, (), dot, _NO_FINAL), arg.chain)
    raise TemplateError(f"can't evaluate {arg.kind}")


def _variable(state: _State, name: str) -> Any:
    for known, value in reversed(state.variables):
        if known == name:
            return value
    raise TemplateError(f"undefined variable: {name}")


def _fields(state: _State, value: Any, chain: tuple[str, ...]) -> Any:
    for name in chain:
        if isinstance(value, Mapping):
            if name in value:
                value = value[name]
            elif isinstance(value, PartialParams):
                raise UnknownValue(name)
            elif state.options.missingkey_error:
                raise TemplateError(f'map has no entry for key "{name}"')
            else:
                value = MISSING
        elif value is None or value is MISSING:
            raise TemplateError(f"nil pointer evaluating interface {{}}.{name}")
        else:
            raise TemplateError(f"can't evaluate field {name} in type {go_type(value)}")
    return value


def _call(state: _State, name: str, args: tuple[Arg, ...], dot: Any, final: Any) -> Any:
    if name in ("and", "or"):
        # Short-circuit: arguments after the deciding one are not evaluated (Go 1.18+).
        operands: list[Any] = [lambda a=a: _argument(state, a, dot) for a in args]
        if final is not _NO_FINAL:
            operands.append(lambda: final)
        if not operands:
            raise TemplateError(f"wrong number of args for {name}: want at least 1 got 0")
        value: Any = None
        for get in operands:
            value = get()
            if truth(value) == (name == "or"):
                return value
        return value
    values = [_argument(state, a, dot) for a in args]
    if final is not _NO_FINAL:
        values.append(final)
    if name == "not":
        if len(values) != 1:
            raise TemplateError(f"wrong number of args for not: want 1 got {len(values)}")
        return not truth(values[0])
    function = state.functions.get(name)
    if function is None:
        raise TemplateError(f'function "{name}" not defined')
    try:
        return function(*values)
    except (TemplateError, Unsupported):
        raise
    except TypeError as error:
        raise TemplateError(f"wrong number or type of args for {name}: {error}") from error
    except (ValueError, KeyError, IndexError, ArithmeticError) as error:
        raise TemplateError(f"error calling {name}: {error}") from error

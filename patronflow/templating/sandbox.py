"""The sandbox staff templates run in, and the budget every rendering of one gets.

Jinja2's SandboxedEnvironment keeps a template away from Python's internals, not from the
machine: nested loops, `'x' * 10**9` or `10**10**10` would run for minutes or take all
memory, holding a server thread or a sender while they do. So every rendering of staff text
(preview, test mail, sending, the save check) runs under a budget, with the limits in
docs/mail-templates.md:

- loop passes and macro calls, counted as they happen: the code generator hands every
  `for` loop its items through a counter;
- characters written, counted as they are written (inside macros and blocks too);
- the size of any one value: operators, `~`, filters and method calls check what they would
  build before building it (`'x' * 10**9` is refused, not computed) and what they built;
- wall-clock time, checked at each of those points, so no rendering holds a thread much
  past the limit.

A template over the budget raises RenderBudgetExceeded, which says what to change.
"""

import copy
import inspect
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from string import Formatter
from typing import Any

import jinja2
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import BlockReference, Context, LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Namespace

# The budget of one mail (subject, preheader and body together) or one preview.
MAX_SOURCE = 100_000  # characters in one staff text
MAX_STEPS = 10_000  # loop passes and macro calls
MAX_OUTPUT = 1_000_000  # characters written
MAX_VALUE = 100_000  # characters (or items) in one value the template builds
MAX_SECONDS = 2


class TemplateProblem(ValueError):
    """A staff template that cannot render. str() says where (line; the sample member when
    the save check knows it) and why, in the language that was active when it was raised
    or located; `field` is the text it is in (subject, preheader, body) when known."""

    def __init__(
        self, reason: str, *, line: int | None = None, field: str = "", sample: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.field = field
        self.sample = sample
        self.message = self._described()

    def __str__(self) -> str:
        return self.message

    def at(self, **where: Any) -> "TemplateProblem":
        """The same problem, located: line, field or sample."""
        located = copy.copy(self)
        vars(located).update(where)
        located.message = located._described()
        return located

    def _described(self) -> str:
        text = self.reason
        if self.line:
            text = _("regel %(line)d: %(reason)s") % {"line": self.line, "reason": text}
        if self.sample:
            text = _("%(problem)s (bij %(sample)s)") % {"problem": text, "sample": self.sample}
        return text


class RenderBudgetExceeded(TemplateProblem):
    """A staff template that asks more than a mail may: too many loop passes, too much
    text, too large a value, too much time. `limit` names which."""

    def __init__(self, reason: str, *, limit: str = "", **where: Any) -> None:
        super().__init__(reason, **where)
        self.limit = limit


def _figure(number: float) -> str:
    return number_format(number, force_grouping=True)


def _too_big() -> RenderBudgetExceeded:
    return RenderBudgetExceeded(
        _(
            "dit maakt een waarde van meer dan %(limit)s tekens of elementen; een mail heeft "
            "die nooit nodig: gebruik kleinere getallen of kortere teksten"
        )
        % {"limit": _figure(MAX_VALUE)},
        limit="value",
    )


@dataclass
class _Budget:
    deadline: float
    steps: int = 0
    written: int = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderBudgetExceeded(
                _(
                    "het invullen duurt langer dan %(seconds)s seconden; maak de tekst "
                    "eenvoudiger (minder of kleinere lussen)"
                )
                % {"seconds": _figure(MAX_SECONDS)},
                limit="time",
            )

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise RenderBudgetExceeded(
                _(
                    "meer dan %(limit)s herhalingen (lusrondes en macro-aanroepen); een mail "
                    "heeft er nooit zoveel nodig: maak de lus kleiner"
                )
                % {"limit": _figure(MAX_STEPS)},
                limit="steps",
            )
        self.check_time()

    def write(self, count: int) -> None:
        self.written += count
        if self.written > MAX_OUTPUT:
            raise RenderBudgetExceeded(
                _("de mail wordt langer dan %(limit)s tekens; maak de tekst korter")
                % {"limit": _figure(MAX_OUTPUT)},
                limit="output",
            )
        self.check_time()


_current_budget: ContextVar[_Budget | None] = ContextVar("staff_render_budget", default=None)


@contextmanager
def render_budget() -> Iterator[None]:
    """One budget for everything rendered inside (a mail's subject, preheader and body);
    a nested use shares the outer one."""
    if _current_budget.get() is not None:
        yield
        return
    token = _current_budget.set(_Budget(deadline=time.monotonic() + MAX_SECONDS))
    try:
        yield
    finally:
        _current_budget.reset(token)


def check_length(source: str) -> None:
    """A staff text is not compiled when it is longer than MAX_SOURCE."""
    if len(source) > MAX_SOURCE:
        raise RenderBudgetExceeded(
            _("de tekst is langer dan %(limit)s tekens") % {"limit": _figure(MAX_SOURCE)},
            limit="source",
        )


def _budget() -> _Budget:
    budget = _current_budget.get()
    if budget is None:
        raise RuntimeError("staff templates render inside render_budget()")
    return budget


def size(value: Any) -> int:
    """Characters or items in a value, with what its containers hold (as often as they hold
    it: written out, a value held twice is written twice). Stops counting past MAX_VALUE;
    every container counts at least one, so a value that holds itself ends over it."""
    total = 0
    pending = [value]
    while pending and total <= MAX_VALUE:
        item = pending.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, int):
            total += item.bit_length() * 3 // 10  # about its decimal digits
        elif isinstance(item, list | tuple | set | frozenset | dict):
            total += max(len(item), 1)
            if total <= MAX_VALUE:
                pending.extend(item)
                if isinstance(item, dict):
                    pending.extend(item.values())
        elif isinstance(item, Namespace):
            # Its attributes are private to Jinja2; written out, it shows them all.
            held = object.__getattribute__(item, "_Namespace__attrs")
            total += max(len(held), 1)
            pending.extend(held.values())
    return total


def _check(estimate: int) -> None:
    if estimate > MAX_VALUE:
        raise _too_big()


def _check_values(*values: Any) -> None:
    for value in values:
        _check(size(value))


def _whole(value: Any, default: int = 0) -> int:
    """An argument that sets a width or a count, as a number (0 when it is none)."""
    return value if isinstance(value, int) else default


def _large_number(digits: str) -> bool:
    return len(digits) > len(str(MAX_VALUE)) or int(digits) > MAX_VALUE


# printf-style fields (`%-10.3f`, `%(name)s`, `%*d`): their width and precision.
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]?")


def _check_format(template: str, numbers: list[str], fields: int, values: list[Any]) -> None:
    """A format string may not pad to a width past MAX_VALUE (`%0999999999d`,
    `{:>999999999}`, or one taken from the values), nor repeat a value past it."""
    if any(number == "*" for number in numbers):
        _check(max((_whole(value) for value in values), default=0))
    if any(number.isdigit() and _large_number(number) for number in numbers):
        raise _too_big()
    _check(len(template) + fields * max((size(value) for value in values), default=0))


def _check_percent(template: str, values: Any) -> None:
    if isinstance(values, dict):
        values = list(values.values())
    elif isinstance(values, tuple):
        values = list(values)
    else:
        values = [values]
    fields = _PERCENT_FIELD.findall(template)
    _check_format(template, [n for pair in fields for n in pair], len(fields), values)


def _check_str_format(template: str, args: tuple, kwargs: dict) -> None:
    try:
        parsed = Formatter().parse(template)
        fields = [spec for _text, name, spec, _conv in parsed if name is not None]
    except ValueError:  # not a format string: the call itself says so
        return
    values = [*args, *kwargs.values()]
    numbers = [n for spec in fields for n in re.findall(r"\d+", spec or "")]
    if any("{" in (spec or "") for spec in fields):
        numbers.append("*")  # a width from the values
    _check_format(template, numbers, len(fields), values)


def _binop_size(operator: str, left: Any, right: Any) -> int:
    """What `left <operator> right` would build, before building it."""
    if operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            return size(left) + size(right)
        if isinstance(right, int) and not isinstance(left, float):
            return size(left) * max(right, 0)
        if isinstance(left, int) and not isinstance(right, float):
            return size(right) * max(left, 0)
    if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        return right * abs(left).bit_length() * 3 // 10
    return 0


# What a str (or bytes) method would build, for the methods that can build more than a
# small multiple of their text: (text, args, kwargs) -> size.
def _padded(text: Any, args: tuple, kwargs: dict) -> int:
    return max(len(text), _whole(args[0] if args else None))


_METHOD_SIZES: dict[str, Callable[[Any, tuple, dict], int]] = {
    "center": _padded,
    "ljust": _padded,
    "rjust": _padded,
    "zfill": _padded,
    "expandtabs": lambda text, args, kwargs: (
        len(text) * max(_whole(args[0] if args else kwargs.get("tabsize"), 8), 1)
    ),
    "replace": lambda text, args, kwargs: (
        len(text) + (len(text) + 1) * (size(args[1]) if len(args) > 1 else 0)
    ),
    "join": lambda text, args, kwargs: len(text) * len(args[0]) + size(args[0]),
    "translate": lambda text, args, kwargs: (
        len(text) * max((size(v) for v in args[0].values()), default=1)
        if args and isinstance(args[0], dict)
        else 0
    ),
}


def _filter_size(name: str, arguments: dict[str, Any]) -> int:
    """What a built-in filter would build, for those that can build more than a small
    multiple of their input (arguments by the filter's parameter names)."""
    if name == "center":
        return max(size(arguments["value"]), _whole(arguments.get("width"), 80))
    if name == "indent":
        text, width = arguments["s"], arguments.get("width", 4)
        width = len(width) if isinstance(width, str) else _whole(width)
        return size(text) + (str(text).count("\n") + 1) * width
    if name == "wordwrap":
        text = size(arguments["s"])
        breaks = text // max(_whole(arguments.get("width"), 79), 1) + 1
        return text + breaks * size(arguments.get("wrapstring") or "\n")
    if name == "replace":
        text = size(arguments["s"])
        return text + (text + 1) * size(str(arguments["new"]))
    if name == "join":
        items = arguments["value"]
        return size(arguments.get("d", "")) * len(items) + size(items)
    if name == "batch":
        fill = arguments.get("fill_with")
        return 0 if fill is None else _whole(arguments["linecount"]) * max(size(fill), 1)
    if name == "slice":
        return _whole(arguments["slices"])
    if name == "sum" and not isinstance(arguments.get("start", 0), int | float):
        items = arguments["iterable"]
        return len(items) * (size(arguments["start"]) + size(items))
    return 0


# Filters whose iterable argument is made a list first, so that its size can be known.
_MATERIALISED = {"join": "value", "sum": "iterable"}


def _synchronous(function: Callable) -> Callable:
    """A filter with an async variant as its plain function (the staff environment is not
    async), so that its signature is the one it is called with."""
    return function.__wrapped__ if getattr(function, "jinja_async_variant", False) else function


def _guarded_filter(name: str, function: Callable) -> Callable:
    """A built-in filter that checks the time, its input and what it would build."""
    signature = inspect.signature(function)
    materialised = _MATERIALISED.get(name)

    @wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _budget().check_time()
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if materialised and not isinstance(bound.arguments[materialised], str):
            bound.arguments[materialised] = list(bound.arguments[materialised])
        _check_values(*bound.arguments.values())
        if name == "format":
            arguments = bound.arguments
            _check_percent(str(arguments["value"]), arguments["kwargs"] or arguments["args"])
        _check(_filter_size(name, bound.arguments))
        return _checked_value(function(*bound.args, **bound.kwargs))

    return guarded


def _checked_value(value: Any) -> Any:
    _budget().check_time()
    _check_values(value)
    return value


class _CountedItems:
    """What a `for` loops over: each pass counted against the budget."""

    __slots__ = ("items",)

    def __init__(self, items: Any) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        budget = _budget()
        for item in self.items:
            budget.step()
            yield item

    def __len__(self) -> int:
        return len(self.items)


class _BudgetedCodeGenerator(CodeGenerator):
    """Jinja2's code generator with the budget's counters put in: around what loops loop
    over, what is written (variables and the template's own text), and `~`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loop_items: set[int] = set()  # ids of the nodes `for` loops loop over

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loop_items.add(id(node.iter))
        try:
            super().visit_For(node, frame)
        finally:
            self._loop_items.discard(id(node.iter))

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if id(node) not in self._loop_items:
            return super().visit(node, *args, **kwargs)
        self.write("environment.counted(")
        super().visit(node, *args, **kwargs)
        self.write(")")
        return None

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write("environment.written(")
        super()._output_child_pre(node, frame, finalize)
        self.write("environment.writable(")

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write(")")
        super()._output_child_post(node, frame, finalize)
        self.write(")")

    def _output_const_repr(self, group: Any) -> str:
        return f"environment.written({super()._output_const_repr(group)})"

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        # As Jinja2's own, with the parts checked before they are joined.
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.joined({join}, (")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")


class StaffEnvironment(SandboxedEnvironment):
    """The sandbox with the budget: the code generator's counters call the methods below,
    and operators, filters and method calls are checked before they build anything."""

    code_generator_class = _BudgetedCodeGenerator
    intercepted_binops = frozenset(["*", "**", "+", "%"])

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # lipsum() writes any amount of text; no mail needs it.
        del self.globals["lipsum"]
        self.filters = {
            name: _guarded_filter(name, _synchronous(function))
            for name, function in self.filters.items()
        }

    def counted(self, items: Any) -> _CountedItems:
        return _CountedItems(items)

    def written(self, text: str) -> str:
        _budget().write(len(text))
        return text

    def writable(self, value: Any) -> Any:
        """A value about to be written: not one whose text would be too large. (A text is
        counted as it is written: a macro's or block's output may be longer than a value.)"""
        if not isinstance(value, str):
            _check_values(value)
        return value

    def joined(self, join: Callable[[Any], str], parts: tuple) -> str:
        _budget().check_time()
        _check(sum(size(part) for part in parts))
        return join(parts)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _budget().check_time()
        _check_values(left, right)
        if operator == "%" and isinstance(left, str):
            _check_percent(left, right)
        _check(_binop_size(operator, left, right))
        return _checked_value(super().call_binop(context, operator, left, right))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        formatter = super().wrap_str_format(value)
        if formatter is None:
            return None
        template = value.__self__

        @wraps(formatter)
        def checked(*args: Any, **kwargs: Any) -> str:
            if value.__name__ == "format_map":
                _check_str_format(template, (), args[0] if args else {})
            else:
                _check_str_format(template, args, kwargs)
            return formatter(*args, **kwargs)

        return checked

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        template_output = isinstance(__obj, Macro | BlockReference | LoopContext)
        if template_output:
            budget.step()
        else:
            budget.check_time()
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (_CountedItems(args[0]), *args[1:])
        receiver = getattr(__obj, "__self__", None)
        estimate = _METHOD_SIZES.get(getattr(__obj, "__name__", ""))
        if isinstance(receiver, str | bytes) and estimate is not None:
            if __obj.__name__ == "join" and args and not isinstance(args[0], str):
                args = (list(args[0]), *args[1:])
            _check_values(*args, *kwargs.values())
            _check(_safe_estimate(estimate, receiver, args, kwargs))
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(receiver, list | dict | set):
            _check_values(receiver)  # append, extend, update… grew it
        # What a macro or block returns was counted as it was written.
        return result if template_output else _checked_value(result)


def _safe_estimate(
    estimate: Callable[[Any, tuple, dict], int], text: Any, args: tuple, kwargs: dict
) -> int:
    """The estimate, or 0 for arguments the method itself will refuse."""
    try:
        return estimate(text, args, kwargs)
    except (IndexError, TypeError, AttributeError):
        return 0


def staff_environment(*, autoescape: bool) -> StaffEnvironment:
    return StaffEnvironment(autoescape=autoescape, undefined=jinja2.StrictUndefined)

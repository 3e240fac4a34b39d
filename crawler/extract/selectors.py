"""Per-source include/exclude selectors, pure: a parsed page in, the part of it to extract out.

A source in ``sources.toml`` may name CSS or XPath selectors (urlwatch's and changedetection.io's
most used filters)::

    include = ["article.content", "xpath://div[@id='main']"]   # keep only these (in page order)
    exclude = [".ad-box", "//div[@class='related']"]            # then drop these

A selector is XPath when it starts with ``xpath:``, ``/`` or ``(``; CSS otherwise (an optional
``css:`` prefix is allowed). :func:`compile_selector` validates one (``ValueError`` names the
problem); :func:`select` applies a :class:`Selection` to a page without touching the tree it is
given. The ``<head>`` is always kept (title, language and metadata live there). An ``include`` that
matches nothing gives ``None``: the caller rejects the page instead of storing an empty article.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cssselect import HTMLTranslator, SelectorError
from lxml import etree
from lxml.html import HtmlElement

MAX_SELECTORS = 50  # per list and source
MAX_SELECTOR_CHARS = 1000
_XPATH_PREFIX = "xpath:"
_CSS_PREFIX = "css:"
_PROBE = etree.fromstring("<html><head/><body/></html>")


def selector_xpath(selector: str) -> str:
    """The XPath expression of a CSS or XPath ``selector``; ``ValueError`` when it is neither."""
    text = selector.strip()
    if not text:
        raise ValueError("empty selector")
    if len(text) > MAX_SELECTOR_CHARS:
        raise ValueError(f"selector longer than {MAX_SELECTOR_CHARS} characters")
    if text.startswith(_XPATH_PREFIX):
        return text[len(_XPATH_PREFIX):].strip()
    if text.startswith(("/", "(")):
        return text
    css = text[len(_CSS_PREFIX):].strip() if text.startswith(_CSS_PREFIX) else text
    try:
        return str(HTMLTranslator().css_to_xpath(css))
    except SelectorError as exc:
        raise ValueError(f"not a CSS selector ({exc}); prefix XPath with 'xpath:'") from exc


def compile_selector(selector: str) -> etree.XPath:
    """The compiled selector; ``ValueError`` when it does not parse or selects values, not elements."""
    expression = selector_xpath(selector)
    try:
        compiled = etree.XPath(expression)
        probe = compiled(_PROBE)
    except (etree.XPathSyntaxError, etree.XPathEvalError) as exc:
        raise ValueError(f"not a valid XPath expression ({exc})") from exc
    if not isinstance(probe, list):
        raise ValueError("selects a value, not elements (use a path such as //div[@class='x'])")
    return compiled


@dataclass(frozen=True)
class Selection:
    """Compiled include and exclude selectors of one source (build with :meth:`of`)."""

    include: tuple[etree.XPath, ...] = ()
    exclude: tuple[etree.XPath, ...] = ()

    @classmethod
    def of(cls, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> Selection | None:
        """Compile the selectors (``ValueError`` names the bad one); ``None`` when there are none."""
        if not include and not exclude:
            return None
        for name, values in (("include", include), ("exclude", exclude)):
            if len(values) > MAX_SELECTORS:
                raise ValueError(f"{name}: at most {MAX_SELECTORS} selectors")
        return cls(tuple(_compiled(include)), tuple(_compiled(exclude)))


def _compiled(selectors: Iterable[str]) -> Iterable[etree.XPath]:
    for selector in selectors:
        try:
            yield compile_selector(selector)
        except ValueError as exc:
            raise ValueError(f"{selector!r}: {exc}") from exc


def _elements(tree: HtmlElement, xpath: etree.XPath) -> list[HtmlElement]:
    found = xpath(tree)
    return [e for e in found if isinstance(e, etree.ElementBase)] if isinstance(found, list) else []


def select(tree: HtmlElement, selection: Selection) -> HtmlElement | None:
    """A copy of ``tree`` reduced to the included elements (all, when none are given) minus the
    excluded ones; ``None`` when ``include`` matches nothing."""
    root = copy.deepcopy(tree)
    if selection.include:
        root = _included(root, selection.include)
        if root is None:
            return None
    for xpath in selection.exclude:
        for element in _elements(root, xpath):
            if element.getparent() is not None and element.tag not in ("body", "head"):
                element.drop_tree()  # its tail text stays in place
    return root


def _included(root: HtmlElement, include: tuple[etree.XPath, ...]) -> HtmlElement | None:
    matched: dict[HtmlElement, None] = {}
    for xpath in include:
        for element in _elements(root, xpath):
            matched.setdefault(element)
    if not matched:
        return None
    order = {element: index for index, element in enumerate(root.iter())}
    kept = sorted(matched, key=lambda e: order.get(e, 0))
    outermost = [e for e in kept if not any(a in matched for a in e.iterancestors())]
    if any(e.tag in ("html", "body") for e in outermost):
        return root  # the whole page is included
    body = root.find("body")
    if body is None:
        body = etree.SubElement(root, "body")
    copies = []
    for element in outermost:
        clone = copy.deepcopy(element)
        clone.tail = "\n"
        copies.append(clone)
    for child in list(body):
        body.remove(child)
    body.text = "\n"
    for clone in copies:
        body.append(clone)
    return root

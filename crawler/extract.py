"""The extraction stage: decoded HTML in, an :class:`Article` or a :class:`Rejection` out.

``extract(html, url)`` is pure (no I/O, no clock, no global state).  ``html`` is text already
decoded by :func:`crawler.encoding.decode_body`, never bytes.  A page that is not an article is
not an error: ``extract`` *returns* a :class:`Rejection` whose ``reason`` is a short code
(:data:`REASONS`) so callers can count them; ``Rejection.to_error()`` gives the matching
:class:`storage.errors.ExtractionRejected` for callers that prefer to raise.

The steps: parse; the WeChat site step when the page is a WeChat article (:mod:`crawler.wechat`);
reject notice pages (error, consent/captcha) and empty pages; ONE trafilatura call
(``extract_with_metadata``, Markdown, formatting and tables kept, dedup off, reader comments off,
htmldate without its "extensive" free-text guessing); strip the YAML header trafilatura puts in
front of the Markdown; reject list pages and pages with too little text; then fill the metadata
trafilatura misses on Chinese pages (visible date and byline next to the headline, the site
suffix of ``<title>``, the language) with the heuristics at the end of this module.  Every
heuristic is generic: no per-site rules, nothing keyed to a URL or a fixture.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import lxml.html
import py3langid
import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from crawler.wechat import WECHAT_STEP, WeChatPage, WeChatUnavailable, is_wechat, read_wechat
from storage.errors import ExtractionRejected

__all__ = [
    "CONSENT_PAGE",
    "EMPTY",
    "ERROR_PAGE",
    "LIST_PAGE",
    "REASONS",
    "TOO_LITTLE_TEXT",
    "Article",
    "Rejection",
    "extract",
    "markdown_to_text",
]

EXTRACTOR = "trafilatura"
EMPTY = "empty"  # no markup or no visible text at all
ERROR_PAGE = "error_page"  # "not found", "link expired", "deleted" notices
CONSENT_PAGE = "consent_page"  # cookie walls, captchas, "verify you are human"
LIST_PAGE = "list_page"  # index/list pages: headlines and links, no article prose
TOO_LITTLE_TEXT = "too_little_text"  # an extraction too short to be an article
REASONS = (EMPTY, ERROR_PAGE, CONSENT_PAGE, LIST_PAGE, TOO_LITTLE_TEXT)

MIN_ARTICLE_CHARS = 60  # non-space characters; a WeChat video post has ~100
NOTICE_MAX_CHARS = 400  # notice pages (error, consent) are short
NOTICE_LINE_CHARS = 60  # ... and say so in a line of their own
LIST_MAX_PROSE_SHARE = 0.1  # list pages: almost no sentence-like lines outside links
LIST_MIN_LINK_COVER = 0.3  # ... and the extraction is mostly link texts,
LIST_MIN_LINK_DENSITY = 0.5  # ... or the page as a whole is mostly links

ERROR_PHRASES = (
    "404 not found", "page not found", "页面不存在", "页面未找到", "找不到页面", "网页不存在",
    "文章不存在", "内容不存在", "已被删除", "已删除", "链接已过期", "链接已失效", "页面已过期",
    "无法访问此页面", "访问的页面不存在",
)  # fmt: skip
CONSENT_PHRASES = (
    "captcha", "verify you are human", "are you a robot", "unusual traffic", "accept cookies",
    "accept all cookies", "cookie consent", "验证码", "安全验证", "人机验证", "访问验证", "滑动验证",
    "请完成验证", "环境异常", "请开启javascript", "请启用javascript",
)  # fmt: skip

_TRAFILATURA_ARGS: dict[str, Any] = {
    "output_format": "markdown",
    "include_formatting": True,
    "include_tables": True,
    "include_comments": False,
    "deduplicate": False,
    "date_extraction_params": {"original_date": True, "extensive_search": False},
}
_BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "td", "th", "tr", "ul",
)  # fmt: skip
_INVISIBLE = "//script|//style|//noscript|//template|//title|//iframe|//select|//textarea"
_DOC_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype|html)", re.I | re.S)
_SPACES = re.compile(r"\s+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_PROSE = re.compile(r"[。！？；!?]|[，,].*[，,]")


@dataclass(frozen=True)
class Article:
    """One extracted article.  ``date`` is ISO 8601 (``YYYY-MM-DD``, or ``YYYY-MM`` when the page
    gives only a month); ``language`` is a primary language subtag (``zh``)."""

    title: str | None
    body_markdown: str
    author: str | None
    date: str | None
    site_name: str | None
    language: str | None
    description: str | None
    image: str | None
    fingerprint: str
    url: str
    extractor: str
    extractor_version: str


@dataclass(frozen=True)
class Rejection:
    """A page that yields no article: ``reason`` is one of :data:`REASONS`.  ``title`` and
    ``description`` are what the page said about itself, kept for logs and diagnostics."""

    reason: str
    detail: str = ""
    title: str | None = None
    description: str | None = None

    def to_error(self) -> ExtractionRejected:
        return ExtractionRejected(self.reason, self.detail)


@dataclass(frozen=True)
class _Page:
    """What the raw page shows, independent of trafilatura."""

    text: str  # visible text of the page, one line per block, whitespace collapsed
    title: str | None
    description: str | None
    language: str | None
    link_density: float  # share of visible characters inside <a>
    anchors: dict[str, frozenset[str]]  # link texts (no spaces, >= 4 chars) by their first 4 chars


@dataclass(frozen=True)
class _Body:
    markdown: str
    lines: tuple[str, ...]  # plain-text lines of the body (markdown_to_text)


def extract(html: str, url: str) -> Article | Rejection:
    """Extract the article in ``html`` (decoded text of the page fetched from ``url``)."""
    tree = _parse(html)
    if tree is None:
        return Rejection(EMPTY, "no parsable markup")
    step = read_wechat(tree, html) if is_wechat(html, url) else None
    page = _read_page(tree)
    if isinstance(step, WeChatUnavailable):
        return Rejection(ERROR_PAGE, f"WeChat notice: {step.notice}", page.title, page.description)
    refused = _notice_page(page)
    if refused is not None:
        return refused
    document = step.document if step is not None else _as_document(html)
    result = trafilatura.extract_with_metadata(document, url=url or None, **_TRAFILATURA_ARGS)
    if result is None or not result.text:
        return Rejection(TOO_LITTLE_TEXT, "trafilatura found no main text", page.title, page.description)
    text = _strip_front_matter(result.text)
    body = _Body(text, tuple(markdown_to_text(text).splitlines()))
    refused = _judge_body(body, page)
    if refused is not None:
        return refused
    return _article(result, body, page, step, url)


def markdown_to_text(markdown: str) -> str:
    """Plain text of trafilatura's Markdown: markup and escapes removed, one line per block."""
    lines = []
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            if set(stripped) <= set("|-: "):
                continue  # a table's header rule
            stripped = " ".join(_UNESCAPED_PIPE.split(stripped.strip("|")))
        stripped = _LINK.sub(r"\1", _HTML_TAG.sub("", _BLOCK_MARK.sub("", stripped)))
        stripped = _INLINE.sub(lambda match: match.group(1) or "", stripped)
        if collapsed := " ".join(stripped.split()):
            lines.append(collapsed)
    return "\n".join(lines)


_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_BLOCK_MARK = re.compile(r"^(?:#{1,6}\s+|>\s?|[-+*]\s+|\d{1,9}[.)]\s+)")
_HTML_TAG = re.compile(r"(?<!\\)</?(?:sup|sub|br|u|ins|del|mark|s|small|span)\b[^>]*>")
_LINK = re.compile(r"(?<!\\)!?\[((?:[^\]\\]|\\.)*)\]\([^)]*\)")
_INLINE = re.compile(r"\\(.)|[*_`~]")


def _parse(html: str) -> HtmlElement | None:
    if not html.strip():
        return None
    try:  # lxml refuses a str that keeps its XML declaration (XHTML): drop the declaration
        return lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (ValueError, etree.ParserError):
        return None


def _as_document(html: str) -> str:
    """trafilatura discards markup that does not start like a document and parses to one
    element (a saved fragment, a crawler's wrapper element): give it an ``<html>`` root."""
    return html if _DOC_START.match(html) else f"<html>{html}</html>"


def _read_page(tree: HtmlElement) -> _Page:
    """Metadata and visible text of the raw page (``tree`` is modified: scripts etc. removed)."""
    title = _first(tree, "//title//text()") or _first(tree, "//meta[@property='og:title']/@content")
    description = _first(tree, "//meta[@name='description']/@content") or _first(
        tree, "//meta[@property='og:description']/@content"
    )
    language = _first(tree, "//html/@lang") or _first(tree, "//meta[@property='og:locale']/@content")
    for element in tree.xpath(_INVISIBLE):
        element.drop_tree()
    for element in tree.iter(*_BLOCK_TAGS):
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    body = tree.find("body")
    root = body if body is not None else tree
    text = "\n".join(line for line in (" ".join(raw.split()) for raw in root.text_content().split("\n")) if line)
    links = [_SPACES.sub("", anchor.text_content()) for anchor in root.iter("a")]
    visible = len(_SPACES.sub("", text))
    anchors: dict[str, set[str]] = {}
    for link in links:
        if len(link) >= 4:
            anchors.setdefault(link[:4], set()).add(link)
    return _Page(
        text=text,
        title=title,
        description=description,
        language=_primary_subtag(language),
        link_density=sum(map(len, links)) / visible if visible else 0.0,
        anchors={key: frozenset(group) for key, group in anchors.items()},
    )


def _first(tree: HtmlElement, xpath: str) -> str | None:
    for value in tree.xpath(xpath):
        if text := " ".join(str(value).split()):
            return text
    return None


def _primary_subtag(tag: str | None) -> str | None:
    primary = re.split(r"[-_]", tag.strip().lower())[0] if tag else ""
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _notice_page(page: _Page) -> Rejection | None:
    """Empty pages and short error / consent / captcha notices."""
    if not page.text:
        return Rejection(EMPTY, "no visible text", page.title, page.description)
    if len(_SPACES.sub("", page.text)) > NOTICE_MAX_CHARS:
        return None
    # the notice is the page's message: its title or a line of its own, not a phrase in prose
    messages = [line.lower() for line in (page.title or "", *page.text.splitlines()) if len(line) <= NOTICE_LINE_CHARS]
    for reason, phrases in ((CONSENT_PAGE, CONSENT_PHRASES), (ERROR_PAGE, ERROR_PHRASES)):
        if found := next((phrase for phrase in phrases for line in messages if phrase in line), None):
            return Rejection(reason, f"short page saying {found!r}", page.title, page.description)
    return None


def _strip_front_matter(text: str) -> str:
    """Drop the ``---`` YAML header trafilatura writes before the Markdown (one field a line)."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end != -1:
            return text[end + 5 :].strip("\n")
    return text.strip("\n")


def _judge_body(body: _Body, page: _Page) -> Rejection | None:
    """Too little text, or a list page: headlines (link texts) and no prose."""
    chars = sum(len(_SPACES.sub("", line)) for line in body.lines)
    if chars < MIN_ARTICLE_CHARS:
        return Rejection(TOO_LITTLE_TEXT, f"{chars} characters of text", page.title, page.description)
    prose = sum(len(line) for line in body.lines if _PROSE.search(line) and not _mostly_links(line, page))
    cover = sum(_link_cover(_SPACES.sub("", line), page.anchors) for line in body.lines) / chars
    prose_share = prose / chars
    if prose_share < LIST_MAX_PROSE_SHARE and (
        cover >= LIST_MIN_LINK_COVER or page.link_density >= LIST_MIN_LINK_DENSITY
    ):
        detail = f"prose {prose_share:.2f}, link text {cover:.2f}, page link density {page.link_density:.2f}"
        return Rejection(LIST_PAGE, detail, page.title, page.description)
    return None


def _mostly_links(line: str, page: _Page) -> bool:
    flat = _SPACES.sub("", line)
    return _link_cover(flat, page.anchors) * 2 >= len(flat)


def _link_cover(line: str, anchors: dict[str, frozenset[str]]) -> int:
    """Characters of ``line`` covered by link texts of the page (greedy, longest first)."""
    position = covered = 0
    while position <= len(line) - 4:
        candidates = anchors.get(line[position : position + 4], frozenset())
        best = max((len(a) for a in candidates if line.startswith(a, position)), default=0)
        covered += best
        position += best or 1
    return covered


def _article(result: Any, body: _Body, page: _Page, step: WeChatPage | None, url: str) -> Article:
    title = _clean_title((step.title if step else None) or result.title or page.title, page.text)
    text = "\n".join(body.lines)
    context = _Context.build(page.text, title, body.lines)
    return Article(
        title=title,
        body_markdown=body.markdown,
        author=step.author if step else find_author(context, result.author),
        date=(step.date if step else None) or find_date(context, result.date),
        site_name=(step.account if step else None) or result.sitename,
        language=_language(page.language, text),
        description=(step.description if step else None) or result.description or page.description,
        image=(step.image if step else None) or result.image,
        fingerprint=result.fingerprint or "",
        url=url,
        extractor=EXTRACTOR,
        extractor_version=f"{trafilatura.__version__}+{WECHAT_STEP}" if step else trafilatura.__version__,
    )


def _language(declared: str | None, text: str) -> str | None:
    """``<html lang>`` / og:locale, unless the text clearly says otherwise (templates often keep
    ``lang="en"``); py3langid when nothing is declared."""
    sample = text[:3000]
    detected = str(py3langid.classify(sample)[0]) if len(_SPACES.sub("", sample)) >= 20 else None
    if declared and (detected is None or declared == detected or len(sample) < 200):
        return declared
    return detected or declared


# --- Metadata trafilatura misses on Chinese pages: headline, dateline, byline ----------------

_TITLE_SEPARATOR = re.compile(r"\s*(?:[_|｜–—]|\s-{1,2}\s|-{1,2}(?=[^-\s]{2,12}$))\s*")
_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)\s*(?:年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日|(?!\s*\d))"
    r"|(?P<sep>[-/.])\s*(?P<m2>\d{1,2})\s*(?P=sep)\s*(?P<d2>\d{1,2})(?!\d))"
    r"|(?<!\d)(?P<m3>\d{1,2})/(?P<d3>\d{1,2})/(?P<y3>(?:19|20)\d\d)(?=\s+\d{1,2}:\d\d(?::\d\d)?\s*[ap]m)",
    re.I,
)
_TIME = re.compile(r"^\s*(?:\d{1,2}:\d\d(?::\d\d)?(?:\s*[ap]m)?)?\s*", re.I)
_DATE_LABEL = re.compile(r"(?:发布|发表|更新|出版|成文|刊发|日期|时间)\s*(?:日期|时间|于)?\s*[:：]?\s*$")
_SOURCE_NOTE = re.compile(r"^(?:——|--|原载|原文载|载于|来源|转载自|出处)|《[^》]{1,30}》")
_NAME_STOP = re.compile(
    r"[\d(（\[【|:：。，,!！?？<>]|来源|责任编辑|编辑|责编|报道|摄影?|发布|发表|时间|日期|出处|转载"
)
_NAME = re.compile(r"[\u4e00-\u9fff·]{2,4}|(?=[\w·]*[^\w\u4e00-\u9fff·]|[\w·]*[A-Za-z])[\w&.\-·]{2,20}")
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游"
    "辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应"
    "臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒")
_ROLE_PREFIX = re.compile(r"^(?:编译|记者|文|撰文|作者|通讯员|实习生|特约记者)\s*[/／:：︱｜]?\s*")
_ORG_TAIL = re.compile(r"(?:本报|本刊|本台|本网|[\u4e00-\u9fff]{0,6}(?:日报|晚报|时报|报社|新闻网|通讯社|网|社|台))$")
_ORG_WORDS = re.compile(r"网|报|社|集团|期刊|出版|公司|版权|作者|编辑|来源|team|inc\b|www|\.com|publisher", re.I)
_NOT_NAMES = frozenset((
    "导语", "摘要", "前言", "正文", "图片", "视频", "原标题", "简介", "目录", "声明", "提要", "引言", "编者按",
    "附件", "相关", "推荐", "更多", "返回", "本文", "更新", "发布", "发表", "点击", "评论", "打印", "关闭",
    "分享", "收藏", "字号", "大中小", "阅读", "浏览", "转载", "来源", "编译", "原创", "资料图",
))  # fmt: skip
_AUTHOR_LABEL = re.compile(r"(?:作者|撰文|撰稿|执笔人?|发文机关)\s*[:：︱｜|]\s*|(?:^|\s)文\s*[/／︱｜|]\s*")
_POSTED_BY = re.compile(r"(?:^|\s)(?P<a>[\w&.\-]{2,20})\s*发表于|由\s*(?P<b>[\w&.\-]{2,20}?)\s*(?:张贴|发表|发布)")
_REPORTER = re.compile(r"记者|实习生|通讯员")
_TRAILING_PAREN = re.compile(r"[（(]\s*(?P<rest>[^（）()]{2,40}?)\s*[)）]\s*$")
_EDITOR = re.compile(r"(?:责任编辑|编辑|责编)\s*[:：]\s*")
_SOURCE = re.compile(r"来源\s*[:：]\s*")
_CJK_ONLY = re.compile(r"[\u4e00-\u9fff]+")
_BARE_NAME = re.compile(r"[\[【(（]?\s*([\u4e00-\u9fff·]{2,4})\s*[\]】)）]?")
_HEADER_LINES = 6
_BYLINE_MAX_CHARS = 60


@dataclass(frozen=True)
class _Context:
    """The lines of a page where bylines and datelines sit."""

    header: tuple[str, ...]  # what follows the headline: the rest of its line, then a few lines
    body: tuple[str, ...]  # the extracted body, one line per block
    after: tuple[str, ...]  # the visible lines right after the body
    visible: tuple[str, ...]  # every visible line of the page

    @property
    def head(self) -> tuple[str, ...]:
        return self.body[:3]

    @property
    def last(self) -> tuple[str, ...]:
        return self.body[-6:]

    @classmethod
    def build(cls, text: str, title: str | None, lines: tuple[str, ...]) -> _Context:
        visible = text.splitlines()
        header = _after_headline(visible, _title_parts(title))
        end = _line_of(visible, lines[-1]) if lines else -1
        after = tuple(visible[end + 1 : end + 4]) if end >= 0 else ()
        return cls(header, lines, after, tuple(visible))


def _title_parts(title: str | None) -> list[str]:
    parts = [part for part in _TITLE_SEPARATOR.split(title or "") if len(part) >= 4]
    return [title, *parts] if title else []


def _after_headline(visible: list[str], parts: list[str]) -> tuple[str, ...]:
    """Lines after the headline: the first line showing the title with a date soon after it."""
    candidates = [
        (index, line[line.find(part) + len(part) :])
        for index, line in enumerate(visible)
        for part in parts
        if line.startswith(part) and len(line) - len(part) <= _BYLINE_MAX_CHARS * 2
    ]
    for index, rest in candidates:
        window = (rest, *visible[index + 1 : index + 1 + _HEADER_LINES])
        if any(_first_date(line) for line in window[:4]):
            return _until_prose(window)
    return _until_prose((candidates[0][1], *visible[candidates[0][0] + 1 :][:_HEADER_LINES])) if candidates else ()


def _until_prose(window: tuple[str, ...]) -> tuple[str, ...]:
    for index, line in enumerate(window):
        if len(line) > _BYLINE_MAX_CHARS * 2 or (len(line) > _BYLINE_MAX_CHARS and "。" in line):
            return window[:index]
    return window


def _line_of(visible: list[str], line: str) -> int:
    needle = line[-20:]
    return next((index for index in range(len(visible) - 1, -1, -1) if needle in visible[index]), -1)


def _clean_title(title: str | None, text: str) -> str | None:
    """Drop a site suffix ("_新浪网", "-新华网") when the part before it is shown as a headline."""
    if not title:
        return None
    shown = set(text.splitlines())
    for match in reversed(list(_TITLE_SEPARATOR.finditer(title))):
        head = title[: match.start()].strip()
        if len(head) >= 4 and head in shown:
            return head
    return title


def find_date(context: _Context, trafilatura_date: str | None) -> str | None:
    """Dateline under the headline, else a labelled date in the body, else htmldate's (markup
    only), else the date of a closing source note ("——《北京之春》1998年3月号")."""
    for line in context.header:
        if found := _first_date(line):
            return found
    for line in (*context.head, *context.last, *context.after):
        for match in _DATE.finditer(line):
            if _DATE_LABEL.search(line[: match.start()][-12:]) and (found := _iso(match)):
                return found
    if trafilatura_date:
        return str(trafilatura_date)
    notes = [line for line in context.last if _SOURCE_NOTE.search(line)]
    return next((found for line in notes if (found := _first_date(line))), None)


def _first_date(text: str) -> str | None:
    return next((found for match in _DATE.finditer(text) if (found := _iso(match))), None)


def _iso(match: re.Match[str]) -> str | None:
    year = match["y"] or match["y3"]
    month = match["m"] or match["m2"] or match["m3"]
    day = match["d"] or match["d2"] or match["d3"]
    if not (1 <= int(month) <= 12) or (day and not 1 <= int(day) <= _days_in(int(year), int(month))):
        return None
    return f"{year}-{int(month):02d}-{int(day):02d}" if day else f"{year}-{int(month):02d}"


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def find_author(context: _Context, trafilatura_author: str | None) -> str | None:
    """Byline, most explicit first: a labelled author, reporters, a closing "(记者 X)", the name
    in the dateline or alone under the headline, a signature block, a person given as source,
    a closing "(X Y)", trafilatura's (publisher names dropped), and last the editor."""
    near = (*context.header, *context.head, *context.last, *context.after)
    short = [line for line in context.visible if len(line) <= _BYLINE_MAX_CHARS]
    names = (
        _first_names(near, _labelled)
        or _reporters((*near, *context.body))
        or _first_names(context.body, _closing_parenthesis)
        or _first_names(itertools.pairwise((*context.header[:4], "")), _dateline_name)
        or _bare_name(context)
        or _signature(context.last)
        or _first_names((*near, *short), _source_person)
        or _first_names(context.last, lambda line: _closing_parenthesis(line, marked=False))
        or _clean_author(trafilatura_author)
        or _first_names((*context.last, *context.header, *context.body, *short), _editor)
    )
    return "; ".join(names) if names else None


def _first_names(lines: Any, finder: Any) -> list[str]:
    return next((names for line in lines if (names := finder(line))), [])


def _labelled(line: str) -> list[str]:
    if names := _after_label(_AUTHOR_LABEL, line):
        return names
    match = _POSTED_BY.search(line)
    name = (match["a"] or match["b"]) if match else None
    return [name] if name and name not in _NOT_NAMES and not _ORG_WORDS.search(name) else []


def _editor(line: str) -> list[str]:
    return _after_label(_EDITOR, line) if len(line) <= _BYLINE_MAX_CHARS else []


def _after_label(label: re.Pattern[str], line: str) -> list[str]:
    return next((names for match in label.finditer(line) if (names := _names(line[match.end() :]))), [])


def _reporters(lines: tuple[str, ...]) -> list[str]:
    """ "本报记者 王燕平 方云凤", "本报实习生 刘国栋 周炜本报记者 ..." in byline lines."""
    names: list[str] = []
    for line in lines:
        found = _REPORTER.search(line)
        if found is None or (len(line) > _BYLINE_MAX_CHARS and found.start() > 12):
            continue
        for piece in _REPORTER.split(line)[1:]:
            spaced = piece[:1].isspace() or piece[:1] in ":："  # "记者 王燕平", not "记者注意到"
            found_names = _names(_ORG_TAIL.sub("", piece.strip(" ：:")))
            names += [name for name in found_names if name not in names and (spaced or _is_personal_name(name))]
    return names


def _closing_parenthesis(line: str, marked: bool = True) -> list[str]:
    """ "……。（记者 胡晓蓉）", "（姚峰 上海报道）"; unmarked "（常书香 马丹阳）" only at the end."""
    match = _TRAILING_PAREN.search(line)
    if match is None or (marked and not re.search(r"记者|通讯员|报道|编译|[文摄]\s*[/／]", match["rest"])):
        return []
    names = _names(_ROLE_PREFIX.sub("", _REPORTER.split(match["rest"])[-1].strip()))
    return names if marked or all(map(_is_personal_name, names)) else []


def _source_person(line: str) -> list[str]:
    """ "来源: 尹娟" -- a source that is a person's name, not a publication."""
    names = _after_label(_SOURCE, line)
    return names if names and all(map(_is_personal_name, names)) else []


def _dateline_name(lines: tuple[str, str]) -> list[str]:
    """ "2004年7月16日08:19 [ 黄宇 ] 来源：..." -- a lone personal name right after the date
    (on the date's line, or alone on the next one)."""
    line, following = lines
    match = _DATE.search(line)
    if match is None:
        return []
    rest = _TIME.sub("", line[match.end() :], count=1) or following
    bare = _BARE_NAME.match(rest)
    if bare is None or not re.match(r"\W*(?:来源|$)", rest[bare.end() :]):
        return []
    return [bare.group(1)] if _is_personal_name(bare.group(1)) else []


def _bare_name(context: _Context) -> list[str]:
    """A line holding only a personal name, under the headline or the body's heading line."""
    lines = list(context.header[1:2])
    if len(context.head) > 1 and len(context.head[0]) <= 40 and not _PROSE.search(context.head[0]):
        lines.append(context.head[1])
    for line in lines:
        match = _BARE_NAME.fullmatch(line.strip())
        if match and _is_personal_name(match.group(1)):
            return [match.group(1)]
    return []


def _is_personal_name(name: str) -> bool:
    return name not in _NOT_NAMES and (name[0] in _SURNAMES or name.startswith(_COMPOUND_SURNAMES))


def _signature(lines: tuple[str, ...]) -> list[str]:
    """A document's closing signature: the issuer on one line, the date alone on the next."""
    for issuer, dated in itertools.pairwise(lines):
        date = _DATE.fullmatch(dated.strip())
        if date and _iso(date) and 2 <= len(issuer) <= 20 and not re.search(r"[。，,.!?！？:：]", issuer):
            return [issuer]
    return []


def _names(rest: str) -> list[str]:
    """Leading person names of ``rest`` (separated by spaces or 、), up to the first non-name."""
    stop = _NAME_STOP.search(rest)
    head = rest[: stop.start()] if stop else rest
    if stop and stop.group() == "报道" and head[-1:].strip():
        head = head[: len(head) - len(head.split()[-1])]  # "（姚峰 上海报道）": drop the place
    names = []
    for token in re.split(r"[\s、，,;；/]+", head):
        if not token:
            continue
        if not _NAME.fullmatch(token) or token in _NOT_NAMES or _ORG_WORDS.search(token):
            break
        if len(token) == 4 and _CJK_ONLY.fullmatch(token) and not token.startswith(_COMPOUND_SURNAMES):
            break  # four Han characters are a word ("个人简介"), not a name, unless a compound surname
        names.append(token)
    return names[:8]


def _clean_author(author: str | None) -> list[str]:
    """trafilatura's author, without labels ("作者：") and publisher / site names."""
    parts = [re.sub(r"^(?:作者|文)\s*[:：/]\s*", "", part).strip() for part in (author or "").split(";")]
    return [part for part in parts if part and len(part) <= 40 and not _ORG_WORDS.search(part)]

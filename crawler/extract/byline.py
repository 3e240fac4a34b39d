"""Headline, dateline and byline of a Chinese news page, read from its visible text.

Pure functions over ``str``: no markup, no network, no state.  :class:`Context` gathers the lines
where these sit (what follows the headline, the start and end of the extracted body, the visible
lines just after it, every visible line); :func:`clean_title` drops a ``<title>`` site suffix
("_新浪网") when the headline is shown without it; :func:`find_author` reads the byline (names joined
by ``"; "``); the date is :mod:`crawler.extract.textdates`' (over the same :class:`Context`).
:data:`PROSE` tells a sentence-like line from a headline, byline or link text.

Precision over recall: a wrong date or author is worse than none.  Each reader tries the most
explicit evidence first, accepts only text whose position and shape mark it as a dateline or
byline, and otherwise returns ``None`` (or the value trafilatura read from the markup).  A name must
follow a label (作者, 记者, 来源, ...) or sit in a closing credit
("（记者 X）"); an unlabelled name alone on a line or after the dateline must start with a common
surname; publisher and site words, page furniture (导语, 分享, ...) and four-Han-character words
are never names.  Every rule is generic: no per-site rules, nothing keyed to a URL or a fixture.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from urllib.parse import urlsplit

from newswatch.crawler.extract.titles import strip_label

__all__ = ["PROSE", "Context", "clean_title", "find_author", "url_date"]

PROSE = re.compile(r"[。！？；!?]|[，,].*[，,]")  # a sentence-like line: not a headline, byline or link
_TITLE_SEPARATOR = re.compile(r"\s*(?:[_|｜–—]|\s-{1,2}\s|-{1,2}(?=[^-\s]{2,12}$))\s*")
_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)\s*(?:年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日|(?!\s*\d))"
    r"|(?P<sep>[-/.])\s*(?P<m2>\d{1,2})\s*(?P=sep)\s*(?P<d2>\d{1,2})(?!\d))"
    r"|(?<!\d)(?P<m3>\d{1,2})/(?P<d3>\d{1,2})/(?P<y3>(?:19|20)\d\d)(?=\s+\d{1,2}:\d\d(?::\d\d)?\s*[ap]m)",
    re.I,
)
_TIME = re.compile(r"^\s*(?:\d{1,2}:\d\d(?::\d\d)?(?:\s*[ap]m)?)?\s*", re.I)
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
_T = TypeVar("_T")
_BYLINE_MAX_CHARS = 60


@dataclass(frozen=True)
class Context:
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
    def build(cls, text: str, title: str | None, lines: tuple[str, ...]) -> Context:
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
    shown = [strip_label(line) or "" for line in visible]  # the headline line may carry a label ("主题: …")
    candidates = [
        (index, line[len(part) :])
        for index, line in enumerate(shown)
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


def clean_title(title: str | None, text: str) -> str | None:
    """Drop a site suffix ("_新浪网", "-新华网") when the part before it is shown as a headline."""
    if not title:
        return None
    shown = set(text.splitlines())
    for match in reversed(list(_TITLE_SEPARATOR.finditer(title))):
        head = title[: match.start()].strip()
        if len(head) >= 4 and head in shown:
            return head
    return title


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


def find_author(context: Context, trafilatura_author: str | None) -> str | None:
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


def _first_names(lines: Iterable[_T], finder: Callable[[_T], list[str]]) -> list[str]:
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
    """Names after 记者/实习生/通讯员 in byline lines ("本报实习生 刘国栋 周炜本报记者 王燕平")."""
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
    """A paragraph's closing credit: marked "（记者 胡晓蓉）", "（姚峰 上海报道）", or (at the end of the
    body only) unmarked personal names "（常书香 马丹阳）"."""
    match = _TRAILING_PAREN.search(line)
    if match is None or (marked and not re.search(r"记者|通讯员|报道|编译|[文摄]\s*[/／]", match["rest"])):
        return []
    names = _names(_ROLE_PREFIX.sub("", _REPORTER.split(match["rest"])[-1].strip()))
    return names if marked or all(map(_is_personal_name, names)) else []


def _source_person(line: str) -> list[str]:
    """A source label naming a person ("来源: 尹娟"), not a publication."""
    names = _after_label(_SOURCE, line)
    return names if names and all(map(_is_personal_name, names)) else []


def _dateline_name(lines: tuple[str, str]) -> list[str]:
    """A lone personal name right after the dateline's date ("2004年7月16日08:19 [ 黄宇 ] 来源：…"),
    on the date's line or alone on the next one."""
    line, following = lines
    match = _DATE.search(line)
    if match is None:
        return []
    rest = _TIME.sub("", line[match.end() :], count=1) or following
    bare = _BARE_NAME.match(rest)
    if bare is None or not re.match(r"\W*(?:来源|$)", rest[bare.end() :]):
        return []
    return [bare.group(1)] if _is_personal_name(bare.group(1)) else []


def _bare_name(context: Context) -> list[str]:
    """A line holding only a personal name, under the headline or the body's heading line."""
    lines = list(context.header[1:2])
    if len(context.head) > 1 and len(context.head[0]) <= 40 and not PROSE.search(context.head[0]):
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


def url_date(url: str) -> str | None:
    """The ``YYYY-MM-DD`` a URL path spells (``/2023/11/17/``, ``/2023-11/17/``, ``/20231117/``), if any."""
    match = _URL_DATE.search(urlsplit(url).path) if url else None
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


_URL_DATE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12][0-9]|3[01])(?![0-9])")

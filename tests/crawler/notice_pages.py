"""Removal notice pages built from real page templates (tests/fixtures/zh_news, licences there).

- WeChat: the real weui-msg notice page WeChat serves in place of an article (``wechatsogou-expired``,
  Chyroc/WechatSogou, Apache-2.0), its ``<h2 class="weui-msg__title">`` text set to each notice WeChat
  shows for a deleted, violating, complained-about or blocked article;
- CMS: a real article page of China Daily (``n4k-chinese_article_001``, newspaper4k, MIT) with the
  article (``<div id="Content">``) replaced by the notice a CMS shows in its place, the chrome kept.
"""

from __future__ import annotations

import re

from tests.crawler.fixture_site import fixture_bytes

WECHAT_NOTICES = ("该内容已被发布者删除", "此内容因违规无法查看", "此内容被多人投诉，相关的内容无法进行展示",
                  "该公众号已被屏蔽，内容无法查看", "此内容因涉嫌违反相关法律法规和政策无法查看")
CMS_NOTICES = ("该文章已删除", "对不起，您访问的文章不存在", "内容已下线", "Page not found")
_WECHAT_TITLE = re.compile(r'(<h2 class="weui-msg__title">)\s*链接已过期\s*(</h2>)')
_CONTENT = re.compile(r'(<div id="Content" class="article">).*?(<div class="selectpage">)', re.S)


def wechat_notice_page(notice: str) -> bytes:
    """WeChat's real notice page saying ``notice``."""
    html = fixture_bytes("wechatsogou-expired").decode("utf-8")
    built, count = _WECHAT_TITLE.subn(lambda m: f"{m.group(1)}\n        {notice} \n        {m.group(2)}", html)
    assert count == 1
    return built.encode("utf-8")


def cms_notice_page(notice: str) -> bytes:
    """China Daily's real article page with its article replaced by ``notice``."""
    html = fixture_bytes("n4k-chinese_article_001").decode("utf-8")
    built, count = _CONTENT.subn(lambda m: f"{m.group(1)}<p>{notice}</p></div>\n{m.group(2)}", html)
    assert count == 1
    return built.encode("utf-8")

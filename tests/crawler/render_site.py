"""A loopback news site whose articles only exist after a browser ran the page's script.

The article is a real one: BBC Chinese's 2012-12-10 report on Hong Kong's chief executive, as the
newspaper4k test data holds it (``tests/fixtures/zh_news``: ``n4k-chinese_article``, MIT), its text moved
into a JSON blob that the page's script writes into an empty ``<div id="app">``. Pages (all on one
``render = "browser"`` source whose section page ``/`` links them):

- ``/2012/12/10/script.html``: the JSON blob is in the page; the script renders it (ETag: a re-check is a 304);
- ``/2012/12/10/xhr.html``: the script fetches ``/api/121210.json`` and, at the same moment, ``PARTS``
  (``/api/part/N.json``), then renders the first (the browser's requests wait for the site's politeness);
- ``/2012/12/10/private.html``: renders from its blob, and its script also tries ``http://10.255.255.1/``
  (a private address: refused by the guard, counted, never connected) and ``/api/blocked`` (disallowed by
  the site's ``robots.txt``: refused, counted, never requested);
- ``/2012/12/10/never.html``: polls ``/api/poll`` every 100 ms for ever: the network never settles (a
  configured page of the source: its failure is an error of the run, not a dropped discovery).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.crawler.site_server import SiteServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zh_news"
TITLE = "香港特首梁振英就僭建问题道歉"
ARTICLES = ("script", "xhr", "private")
NEVER = "never"
PRIVATE_TARGET = "http://10.255.255.1/track"
BLOCKED = "/api/blocked"  # robots.txt disallows it
ETAG = '"render-121210"'
PARTS = tuple(f"/api/part/{n}.json" for n in (1, 2, 3))
DELAY = 0.15  # crawl.download_delay of the workspace, with concurrency_per_domain = 1

RENDER = """
function show(a) {
  document.title = a.title;
  var app = document.getElementById('app');
  var h = document.createElement('h1'); h.textContent = a.title; app.appendChild(h);
  a.paragraphs.forEach(function (t) { var p = document.createElement('p'); p.textContent = t; app.appendChild(p); });
}
"""


def paragraphs() -> list[str]:
    text = (FIXTURES / "expected" / "n4k-chinese_article.txt").read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def expected_sentences() -> list[str]:
    """The sentences the reference extraction of the original page holds (``index.json``)."""
    entries = json.loads((FIXTURES / "index.json").read_text(encoding="utf-8"))
    entry = next(e for e in entries if e["id"] == "n4k-chinese_article")
    return list(entry["expected"]["body_sentences"])


def blob() -> str:
    data = {"title": TITLE, "date": "2012-12-10", "paragraphs": paragraphs()}
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def shell(script: str, data: str | None = None) -> bytes:
    """An empty page: ``<div id="app">`` filled by ``script`` (a JSON blob in ``#data`` when given)."""
    inline = f'<script type="application/json" id="data">{data}</script>' if data else ""
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>新闻</title></head>'
            '<body><header><a href="/">首页</a></header><img src="/img/121210.jpg" alt="">'
            f'<article id="app"></article>{inline}'
            f'<script>{RENDER}{script}</script></body></html>').encode()


def url_of(name: str) -> str:
    return f"/2012/12/10/{name}.html"


def build_render_site(server: SiteServer) -> None:
    html = {"Content-Type": "text/html; charset=utf-8"}
    from_blob = "show(JSON.parse(document.getElementById('data').textContent));"
    server.add(url_of("script"), body=shell(from_blob, blob()), headers={**html, "ETag": ETAG})
    parts = ", ".join(f"fetch('{p}')" for p in PARTS)
    xhr = f"Promise.all([fetch('/api/121210.json'), {parts}]).then(r => r[0].json()).then(show);"
    server.add(url_of("xhr"), body=shell(xhr), headers=html)
    for part in PARTS:
        server.add(part, body=b"{}", headers={"Content-Type": "application/json"})
    server.add("/api/121210.json", body=blob().encode(), headers={"Content-Type": "application/json"})
    private = (f"fetch('{PRIVATE_TARGET}').catch(function () {{}}); fetch('{BLOCKED}').catch(function () {{}}); "
               f"{from_blob}")
    server.add("/robots.txt", body=f"User-agent: *\nDisallow: {BLOCKED}\n".encode(),
               headers={"Content-Type": "text/plain"})
    server.add(BLOCKED, body=b"{}", headers={"Content-Type": "application/json"})
    server.add(url_of("private"), body=shell(private, blob()), headers=html)
    server.add(url_of(NEVER), body=shell("setInterval(function () { fetch('/api/poll?' + Date.now()); }, 100);"),
               headers=html)
    server.add("/img/121210.jpg", body=b"\xff\xd8\xff\xe0", headers={"Content-Type": "image/jpeg"})
    server.add("/api/poll", body=b"{}", headers={"Content-Type": "application/json"})
    links = "".join(f'<li><a href="{url_of(n)}">{n}</a></li>' for n in ARTICLES)
    server.add("/", body=f"<!doctype html><html><body><ul>{links}</ul></body></html>".encode(), headers=html)


def write_render_workspace(folder: Path, base_url: str, dns: str | None = None) -> Path:
    """Seeds (the registry: one ``render = "browser"`` source) and a config (``dns``: the crawl's DNS
    server, ``host:port``); the config path."""
    seeds = folder / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    (seeds / "sources.toml").write_text(
        f'[[source]]\nname = "渲染新闻"\nsite = "{base_url}/"\npages = ["{base_url}{url_of(NEVER)}"]\n'
        'render = "browser"\n', encoding="utf-8")
    config = folder / "newswatch.toml"
    config.write_text(
        '[storage]\ndata_dir = "data"\ncorpus_dir = "data/corpus"\nseeds_dir = "seeds"\n'
        f'[crawl]\nallow_networks = ["127.0.0.0/8"]\ndownload_delay = {DELAY}\nconcurrency_per_domain = 1\n'
        'download_timeout = 2.0\nrender_timeout = 3.0\n'
        + (f'dns_servers = ["{dns}"]\n' if dns else '') +
        'retries = 0\n[schedule]\narticles = ["3650d=0s"]\n', encoding="utf-8")
    return config

"""The JSON API over the replayed crawl: every response validates (jsonschema) against the schema the
server's own OpenAPI description gives for it; pages chain through ``next``; errors name the input."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tests.monitor.moments_site import NEW_HEADLINE
from tests.monitor.web.conftest import Moments
from tests.monitor.web.server import fetch


def get_json(url: str) -> tuple[int, Any]:
    status, headers, body = fetch(url)
    assert headers["content-type"].startswith("application/json")
    return status, json.loads(body)


@pytest.fixture(scope="module")
def openapi(served: str) -> dict[str, Any]:
    status, spec = get_json(served + "/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    return dict(spec)


def validate(openapi: dict[str, Any], route: str, document: Any) -> None:
    schema = openapi["paths"][route]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": openapi["components"]}).validate(document)


def test_openapi_describes_the_four_endpoints_read_only(openapi: dict[str, Any]) -> None:
    routes = {"/api/changes", "/api/articles/{article_id}", "/api/articles/{article_id}/versions", "/api/sources"}
    assert routes <= set(openapi["paths"])
    assert {method for route in openapi["paths"].values() for method in route} == {"get"}


def test_changes_validate_and_are_newest_first(served: str, openapi: dict[str, Any], moments: Moments) -> None:
    status, page = get_json(served + "/api/changes")
    assert status == 200
    validate(openapi, "/api/changes", page)
    assert page["total"] == 3 and page["next"] is None
    classes = [c["change_class"] for c in page["items"]]
    assert classes[0] == "deletion" and sorted(classes[1:]) == ["addition", "title"]  # moment 3, then moment 2's
    assert [c["detected_at"] for c in page["items"]] == sorted((c["detected_at"] for c in page["items"]),
                                                               reverse=True)
    assert page["items"][0]["reverted_to"] == 1 and page["items"][0]["article_id"] == moments.ids["a"]


@pytest.mark.parametrize(("query", "classes"), [
    ("change_class=title", ["title"]),
    ("source=%E6%B5%8B%E8%AF%95%E6%96%B0%E9%97%BB", ["deletion", "addition", "title"]),
    ("source=nobody", []),
    ("since=2000-01-01", ["deletion", "addition", "title"]),
    ("until=2000-01-01", []),
], ids=["class", "source", "unknown-source", "since", "until"])
def test_changes_filter(served: str, openapi: dict[str, Any], query: str, classes: list[str]) -> None:
    status, page = get_json(f"{served}/api/changes?{query}")
    assert status == 200
    validate(openapi, "/api/changes", page)
    assert sorted(c["change_class"] for c in page["items"]) == sorted(classes)  # the order: the test above


def test_pages_chain_through_next(served: str, openapi: dict[str, Any]) -> None:
    url, seen = f"{served}/api/changes?per_page=1", []
    while url:
        status, page = get_json(url)
        assert status == 200 and len(page["items"]) <= 1
        validate(openapi, "/api/changes", page)
        seen += [(c["article_id"], c["to_version"]) for c in page["items"]]
        url = served + page["next"] if page["next"] else ""
    assert len(seen) == len(set(seen)) == 3


def test_article_and_versions_validate(served: str, openapi: dict[str, Any], moments: Moments) -> None:
    a, e = moments.ids["a"], moments.ids["e"]
    status, article = get_json(f"{served}/api/articles/{a}")
    assert status == 200
    validate(openapi, "/api/articles/{article_id}", article)
    assert [c["to_version"] for c in article["changes"]] == [3, 2] and article["anomalies"] == []
    status, versions = get_json(f"{served}/api/articles/{a}/versions?per_page=2")
    validate(openapi, "/api/articles/{article_id}/versions", versions)
    assert [v["number"] for v in versions["items"]] == [1, 2] and versions["total"] == 3 and versions["next"]
    status, retitled = get_json(f"{served}/api/articles/{e}")
    assert retitled["title"] == NEW_HEADLINE
    status, anomalous = get_json(f"{served}/api/articles/{moments.ids['d']}")
    assert [x["reason"] for x in anomalous["anomalies"]] == ["error_page"]


def test_sources_validate(served: str, openapi: dict[str, Any]) -> None:
    status, sources = get_json(served + "/api/sources")
    assert status == 200
    validate(openapi, "/api/sources", sources)
    (source,) = sources["items"]
    assert source["name"] == "测试新闻" and source["articles"] == 6 and source["last_checked_at"]


@pytest.mark.parametrize(("path", "status", "word"), [
    ("/api/articles/999999", 404, "no article 999999"),
    ("/api/articles/999999/versions", 404, "no article"),
    ("/api/articles/abc", 422, "article_id"),
    ("/api/changes?since=yesterday", 422, "since"),
    ("/api/changes?per_page=100000", 422, "per_page"),
    ("/api/changes?page=0", 422, "page"),
    ("/api/changes?since=2025-02-01&until=2025-01-01", 400, "since"),
], ids=["no-article", "no-article-versions", "bad-id", "bad-date", "huge-page", "page-zero", "since-after-until"])
def test_bad_input_is_a_clear_error(served: str, path: str, status: int, word: str) -> None:
    got, body = get_json(served + path)
    assert got == status and word in json.dumps(body)

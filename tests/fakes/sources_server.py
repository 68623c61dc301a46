"""A fake of the listener APIs over real HTTP: Reddit search, HN Algolia, Bluesky, Mastodon, feeds.

One threaded server on port 0 answers every API under its own prefix (`fake.url("reddit")` is the
`base_url` a source config uses). Records live in plain lists in each API's documented shape
(`tests/fakes/source_records.py`); paging follows each API's rules. `queue(route, …)` scripts failures
(429 + Retry-After, 5xx, malformed bodies) first-in first-out; `after(route, n, action)` runs an
action once the n-th request to a route was answered (a post deleted between two pages).
Every request is recorded: route, path, query parameters, headers and JSON body.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.http import Reply, Scripted, ThreadedFake, send_reply
from tests.fakes.source_records import BASE_EPOCH

PREFIXES = {"reddit": "/reddit", "hn": "/hn", "bsky": "/bsky", "masto": "/masto", "feed": "/feeds"}


@dataclass
class Recorded:
    route: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: Any = None


@dataclass
class FakeSources(ThreadedFake):
    reddit: list[dict[str, Any]] = field(default_factory=list)
    hn: list[dict[str, Any]] = field(default_factory=list)
    bsky: list[dict[str, Any]] = field(default_factory=list)
    masto: list[dict[str, Any]] = field(default_factory=list)
    feeds: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)  # name → (type, body, last-mod)
    bsky_requires_auth: bool = False
    bsky_accounts: dict[str, str] = field(default_factory=dict)  # handle → app password
    requests: list[Recorded] = field(default_factory=list)
    root: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        self._hooks: list[tuple[str, int, Callable[[], object]]] = []
        self._tokens: set[str] = set()
        self._feed_versions = 0

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    def on_started(self, root: str) -> None:
        self.root = root

    # ---- test helpers ----------------------------------------------------------------------------
    def url(self, route: str) -> str:
        return self.root + PREFIXES[route]

    def queue(
        self,
        route: str,
        *,
        status: int = 200,
        body: dict[str, Any] | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Script the next answer on `route` (FIFO); normal behaviour resumes once consumed."""
        with self._lock:
            self._scripts[route].append(Scripted(status, body, dict(headers or {})))

    def after(self, route: str, n: int, action: Callable[[], object]) -> None:
        """Run `action` right after the n-th request to `route` has been answered."""
        self._hooks.append((route, n, action))

    def calls(self, route: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.route == route]

    def set_feed(self, name: str, body: bytes, content_type: str = "application/rss+xml") -> None:
        """Publish (or change) a feed; each change gets a new ETag and a later Last-Modified."""
        self._feed_versions += 1
        modified = email.utils.formatdate(BASE_EPOCH + 60 * self._feed_versions, usegmt=True)
        self.feeds[name] = (content_type, body, modified)

    def expire_bsky_tokens(self) -> None:
        self._tokens.clear()

    # ---- dispatch ----------------------------------------------------------------------------------
    def handle(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str], body: Any
    ) -> Reply:
        route = next((r for r, p in PREFIXES.items() if path.startswith(p + "/")), "unknown")
        if route == "bsky" and path.endswith("createSession"):
            route = "bsky-session"
        with self._lock:
            self.requests.append(Recorded(route, path, params, headers, body))
            count = sum(1 for r in self.requests if r.route == route)
            script = self._scripts[route].popleft() if self._scripts.get(route) else None
        reply = (
            script.reply({"error": "Scripted"})
            if script
            else self._answer(route, path, params, headers, body)
        )
        for hook_route, n, action in self._hooks:
            if hook_route == route and n == count:
                action()
        return reply

    def _answer(
        self, route: str, path: str, params: dict[str, str], headers: dict[str, str], body: Any
    ) -> Reply:
        sub = path.removeprefix(PREFIXES.get(route.split("-")[0], ""))
        if route == "reddit" and sub.endswith("/search.json"):
            return self._reddit(sub, params, headers)
        if route == "hn" and sub == "/api/v1/search_by_date":
            return _json(_hn_page(self.hn, params))
        if route == "bsky-session":
            return self._bsky_session(body)
        if route == "bsky" and sub == "/xrpc/app.bsky.feed.searchPosts":
            return self._bsky_search(params, headers)
        if route == "masto" and sub.startswith("/api/v1/timelines/tag/"):
            return self._masto(path, params)
        if route == "feed" and sub.strip("/") in self.feeds:
            return self._feed(sub.strip("/"), headers)
        return _json({"error": "Not Found"}, 404)

    # ---- Reddit: Listing of t3 children, newest first, `after` = fullname ------------------------------
    def _reddit(self, sub: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        if not headers.get("user-agent", "").startswith("social-router/"):
            return (
                429,
                {"Content-Type": "text/html"},
                b"<html>Too Many Requests: use a descriptive User-Agent</html>",
            )
        posts = sorted(self.reddit, key=lambda p: (-p["created_utc"], p["name"]))
        if sub.startswith("/r/"):
            wanted = set(sub.split("/")[2].split("+"))
            posts = [p for p in posts if p["subreddit"] in wanted]
        posts = [p for p in posts if _q_hits(params.get("q", ""), f"{p['title']} {p['selftext']}")]
        start = 0
        if params.get("after"):
            names = [p["name"] for p in posts]
            if params["after"] not in names:  # what Reddit does when the anchor post is gone
                return _json(
                    {"kind": "Listing", "data": {"after": None, "before": None, "children": [], "dist": 0}}
                )
            start = names.index(params["after"]) + 1
        limit = min(int(params.get("limit", 25)), 100)
        page = posts[start : start + limit]
        after = page[-1]["name"] if page and start + limit < len(posts) else None
        children = [{"kind": "t3", "data": p} for p in page]
        return _json(
            {
                "kind": "Listing",
                "data": {"after": after, "before": None, "children": children, "dist": len(page)},
            }
        )

    # ---- Bluesky: createSession and searchPosts (keyset cursor) ----------------------------------------
    def _bsky_session(self, body: Any) -> Reply:
        if not isinstance(body, dict) or self.bsky_accounts.get(body.get("identifier", "")) != body.get(
            "password"
        ):
            return _json(
                {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, 401
            )
        token = f"jwt-{len(self.requests)}"
        self._tokens.add(token)
        handle = body["identifier"]
        return _json(
            {"accessJwt": token, "refreshJwt": "r-" + token, "handle": handle, "did": f"did:plc:{handle}"}
        )

    def _bsky_search(self, params: dict[str, str], headers: dict[str, str]) -> Reply:
        auth = headers.get("authorization", "")
        if auth and auth.removeprefix("Bearer ") not in self._tokens:
            return _json({"error": "ExpiredToken", "message": "Token has expired"}, 400)
        if self.bsky_requires_auth and not auth:
            return _json({"error": "AuthMissing", "message": "Authentication Required"}, 403)
        limit = int(params.get("limit", 25))
        if not 1 <= limit <= 100:
            return _json({"error": "InvalidRequest", "message": "limit must be 1..100"}, 400)
        posts = sorted(self.bsky, key=lambda p: (p["record"]["createdAt"], p["uri"]), reverse=True)
        posts = [p for p in posts if _q_hits(params.get("q", ""), p["record"]["text"])]
        if params.get("since"):
            posts = [p for p in posts if p["record"]["createdAt"] >= params["since"]]
        if params.get("cursor"):
            posts = [
                p
                for p in posts
                if (p["record"]["createdAt"], p["uri"]) < tuple(params["cursor"].split("|", 1))
            ]
        page = posts[:limit]
        answer: dict[str, Any] = {"posts": page, "hitsTotal": len(posts)}
        if len(posts) > limit:
            answer["cursor"] = f"{page[-1]['record']['createdAt']}|{page[-1]['uri']}"
        return _json(answer)

    # ---- Mastodon: tag timeline, ids compared as numbers, Link header -------------------------------------
    def _masto(self, path: str, params: dict[str, str]) -> Reply:
        limit = min(int(params.get("limit", 20)), 40)
        statuses = sorted(self.masto, key=lambda s: int(s["id"]))
        if params.get("min_id"):
            page = [s for s in statuses if int(s["id"]) > int(params["min_id"])][:limit]
        else:
            newer = [s for s in statuses if int(s["id"]) > int(params.get("since_id") or 0)]
            older = [s for s in newer if not params.get("max_id") or int(s["id"]) < int(params["max_id"])]
            page = older[-limit:]
        page = list(reversed(page))  # always newest first
        headers = {}
        if page:
            base = self.root + path
            headers["Link"] = (
                f'<{base}?{urlencode({"max_id": page[-1]["id"]})}>; rel="next", '
                f'<{base}?{urlencode({"min_id": page[0]["id"]})}>; rel="prev"'
            )
        status, base_headers, payload = _json(page)
        return status, {**base_headers, **headers}, payload

    # ---- Feeds: ETag / Last-Modified conditional GET -------------------------------------------------------
    def _feed(self, name: str, headers: dict[str, str]) -> Reply:
        content_type, body, modified = self.feeds[name]
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        validators = {"ETag": etag, "Last-Modified": modified}
        if headers.get("if-none-match") == etag or (
            "if-none-match" not in headers and headers.get("if-modified-since") == modified
        ):
            return 304, validators, b""
        return 200, {"Content-Type": content_type, **validators}, body


def _hn_page(hits: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
    """search_by_date: newest first, numericFilters on created_at_i, hitsPerPage and page."""
    found = sorted(hits, key=lambda h: (-h["created_at_i"], h["objectID"]))
    found = [
        h
        for h in found
        if _q_hits(
            params.get("query", ""),
            " ".join(str(h.get(k) or "") for k in ("title", "story_text", "comment_text")),
        )
    ]
    for condition in filter(None, params.get("numericFilters", "").split(",")):
        found = [h for h in found if _numeric(condition, h)]
    per_page = min(int(params.get("hitsPerPage", 20)), 1000)
    page = int(params.get("page", 0))
    chunk = found[page * per_page : (page + 1) * per_page]
    pages = -(-len(found) // per_page)
    return {
        "hits": chunk,
        "nbHits": len(found),
        "page": page,
        "nbPages": pages,
        "hitsPerPage": per_page,
        "query": params.get("query", ""),
        "params": urlencode(params),
    }


def _numeric(condition: str, hit: dict[str, Any]) -> bool:
    for op in (">=", "<=", ">", "<", "="):
        if op in condition:
            name, value = condition.split(op, 1)
            left, right = float(hit[name.strip()]), float(value)
            return {
                ">=": left >= right,
                "<=": left <= right,
                ">": left > right,
                "<": left < right,
                "=": left == right,
            }[op]
    raise ValueError(condition)


def _q_hits(query: str, text: str) -> bool:
    """A naive full-text search: any positive word or phrase of the query occurs in the text."""
    terms = [
        t.strip('"')
        for t in query.replace('"', ' " ').split()
        if t not in ("OR", '"') and not t.startswith("-")
    ]
    return not terms or any(t.casefold() in text.casefold() for t in terms if t)


def _json(body: Any, status: int = 200) -> Reply:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()


def _handler_for(fake: FakeSources) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms a reply.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = json.loads(raw) if raw and "json" in headers.get("content-type", "") else None
            send_reply(self, fake.handle(method, url.path, dict(parse_qsl(url.query)), headers, body))

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler

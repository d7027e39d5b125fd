#!/usr/bin/env python3
"""sqlmap over every parameter the server reads, for `make test-security` (scripts/security-scan.sh).

  sqlmap_targets.py discover BASE_URL OUT_DIR      writes OUT_DIR/targets.json
  sqlmap_targets.py scan OUT_DIR [--jobs N] [--timeout SECONDS] [--server-log FILE]
                                                   runs sqlmap on each target, prints a summary,
                                                   exits 1 on an injection, a 5xx or a target
                                                   that could not be tested

Targets are generated, not listed by hand:
  * the routes come from the Swift sources (`router.get("/{community}/…")` and groups), so a
    crawled URL is matched to its route and its variable path segments are known;
  * JSON API operations and their path, query and body parameters come from
    /api/v1/openapi.json, signed in with a bearer token (the demo citizen; the official of the
    street lighting department for the staff-only /office/ operations), path values from the
    API's own lists;
  * HTML forms, links and path segments come from crawling the pages (every page whose only
    variable is the community, and what they link) as the signed-in demo citizen, the service
    centre's desk clerk (the verification and in-person voting desks), the demo administrator
    (moderation, office, admin pages) and an anonymous visitor. Forms are sent
    URL-encoded with the page's `_csrf` field: the token is an HMAC of the session (or visitor)
    cookie, so one fetched with the page stays valid for the whole run and sqlmap's
    --csrf-token refresh (a GET before every payload) is not needed;
  * the machine interfaces no page links (Open311, OGC API Features, the map's GeoJSON) are seeded
    from their landing documents; every query parameter name the sources read
    (`queryParameters["x"]`, `query["x"]`) must end up tested by some target, or the scan fails,
    so a new parameter cannot slip past this list.

The scan runs the reading targets first, then the forms (the administrator's after the others',
whatever revokes or deletes last and alone), and fails on an injection sqlmap confirms, on any
5xx (the requests are kept in OUT_DIR/server-errors/) and on a parameter it did not test.
"""
import argparse
import collections
import concurrent.futures
import datetime
import glob
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMUNITY = "khmelnytskyi"
PASSWORD = "demo-password"
CITIZEN = "citizen@khmelnytskyi.demo"
OFFICIAL = "official@khmelnytskyi.demo"
ADMIN = "admin@khmelnytskyi.demo"
DESK = "desk@khmelnytskyi.demo"
# Pages only an anonymous visitor should post to.
ANONYMOUS_ONLY = re.compile(r"^/(signin|signup)$")
# Forms whose first (original-value) request removes what other targets need: run last, alone.
DESTRUCTIVE = re.compile(r"/(revoke|delete|close-phase)$")
# Not followed while crawling: binary or static files, the language switch (tested as a link),
# and signing out (it would end the session the crawl and the scan use).
NO_CRAWL = re.compile(r"^/(static/|media/|lang/)|^/signout$|\.(csv|xml|png|jpe?g|svg)$")
NO_TARGET = re.compile(r"^/static/|^/signout$|^/(healthz|readyz|metrics)$|^/api/v1/openapi\.json$")
PAGES_PER_ROUTE = 6
MAX_PAGES = 400
# Parameters one sqlmap process tests: each costs about ten seconds against a form whose page is
# re-rendered for every payload, and the 36 fields of the administrator's limits form in one
# process ran past the per-target limit on a loaded CI machine.
PARAMETERS_PER_TARGET = 8

SQLMAP_OPTIONS = [
    "--batch", "--level", "2", "--risk", "1", "--technique", "BEUT", "--dbms", "PostgreSQL",
    "--time-sec", "2", "--timeout", "15", "--retries", "1", "--skip-waf", "--drop-set-cookie",
    "--flush-session", "--disable-coloring", "-v", "3",
    # A refusal (a wrong password, a bad token, a one-shot action already done, a payload in a
    # path that finds nothing) is an answer to compare, not a reason to stop.
    "--ignore-code", "401,404",
]


# ---------------------------------------------------------------------------------------------
# Routes from the Swift sources

def swift_routes():
    """[(METHOD, pattern)] as the router declares them."""
    routes = set()
    for path in glob.glob(os.path.join(ROOT, "Sources/Hromada/**/*.swift"), recursive=True):
        text = open(path, encoding="utf-8").read()
        groups = {"router": ""}
        for m in re.finditer(r'let (\w+) = (\w+)\.group\("([^"]*)"\)', text):
            groups[m.group(1)] = groups.get(m.group(2), "") + m.group(3)
        for m in re.finditer(r'\b(\w+)\.(get|post|put|patch|delete)\("([^"]*)"', text):
            if m.group(1) in groups:
                routes.add((m.group(2).upper(), (groups[m.group(1)] + m.group(3)) or "/"))
    return sorted(routes)


def source_query_names():
    """Query parameter names the handlers read, with the file that reads each."""
    names = {}
    for path in glob.glob(os.path.join(ROOT, "Sources/Hromada/**/*.swift"), recursive=True):
        text = open(path, encoding="utf-8").read()
        if "queryParameters" not in text:
            continue
        for m in re.finditer(r'(?:queryParameters|\bquery)\[(?:Substring\()?"([^"]+)"', text):
            names.setdefault(m.group(1), os.path.relpath(path, ROOT))
        # `for (name, …) in [("from", …), ("to", …)] { query[Substring(name)] }`
        for m in re.finditer(r'for \(name, \w+\) in \[([^\]]*)\][^\n]*\n[^\n]*query\[Substring\(name\)\]', text):
            for name in re.findall(r'\("([^"]+)"', m.group(1)):
                names.setdefault(name, os.path.relpath(path, ROOT))
    return names


class Router:
    def __init__(self, routes):
        self.routes = []
        for method, pattern in routes:
            segments = [s for s in pattern.split("/") if s]
            self.routes.append((method, pattern, segments))
        # Literal segments win over variables, as in the router.
        self.routes.sort(key=lambda r: -sum(1 for s in r[2] if not s.startswith("{")))

    def match(self, method, path):
        """(pattern, {variable: (index, value)}) or (None, {})."""
        parts = [s for s in path.split("/") if s]
        for m, pattern, segments in self.routes:
            if m != method or len(segments) != len(parts):
                continue
            variables = {}
            for i, (segment, part) in enumerate(zip(segments, parts)):
                if segment.startswith("{"):
                    variables[segment[1:-1]] = (i, urllib.parse.unquote(part))
                elif segment != part:
                    break
            else:
                return pattern, variables
        return None, {}


# ---------------------------------------------------------------------------------------------
# HTTP

class Client:
    """A cookie-keeping client that never leaves the base URL's host."""

    def __init__(self, base, bearer=None):
        self.base = base.rstrip("/")
        self.cookies = {}
        self.bearer = bearer
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, method, path, data=None, content_type=None, follow=True):
        url = self.base + path
        for _ in range(5):
            headers = {"Accept": "text/html,application/json"}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if self.bearer:
                headers["Authorization"] = "Bearer " + self.bearer
            if content_type:
                headers["Content-Type"] = content_type
            body = data.encode() if isinstance(data, str) else data
            req = urllib.request.Request(url, data=body, method=method, headers=headers)
            try:
                resp = self.opener.open(req, timeout=30)
            except urllib.error.HTTPError as error:
                resp = error
            for header in resp.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";")[0]
                if "Max-Age=0" in header or value == "":
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value
            content = resp.read()
            location = resp.headers.get("Location")
            if follow and resp.status in (301, 302, 303, 307, 308) and location:
                target = urllib.parse.urljoin(url, location)
                if not target.startswith(self.base + "/"):
                    return resp.status, resp.headers, content, url
                url, method, data, content_type = target, "GET", None, None
                continue
            return resp.status, resp.headers, content, url
        return resp.status, resp.headers, content, url

    def json(self, path):
        status, _, content, _ = self.request("GET", path)
        if status != 200:
            return None
        try:
            return json.loads(content)
        except ValueError:
            return None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_in_api(base, email):
    client = Client(base)
    status, _, content, _ = client.request("POST", "/api/v1/session", json.dumps({"email": email, "password": PASSWORD}),
                                           "application/json")
    if status != 201:
        raise SystemExit(f"sqlmap_targets: API sign-in as {email} answered {status}")
    return json.loads(content)["token"]


def sign_in_browser(base, email):
    client = Client(base)
    _, _, page, _ = client.request("GET", "/signin")
    token = re.search(r'name="_csrf" value="([^"]+)"', page.decode()).group(1)
    form = urllib.parse.urlencode({"_csrf": token, "email": email, "password": PASSWORD})
    status, _, _, _ = client.request("POST", "/signin", form, "application/x-www-form-urlencoded", follow=False)
    if "hromada_session" not in client.cookies:
        raise SystemExit(f"sqlmap_targets: form sign-in as {email} answered {status} without a session cookie")
    return client


# ---------------------------------------------------------------------------------------------
# HTML

class PageParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.forms = []
        self.form = None
        self.select = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name, value in attrs:
            if not value or value.startswith(("#", "mailto:", "javascript:", "tel:")):
                continue
            if name in ("href", "src") or (name.startswith("data-") and value.startswith("/")):
                self.links.append(value)
        if tag == "form":
            self.form = {"method": (a.get("method") or "get").upper(), "action": a.get("action") or "",
                         "enctype": a.get("enctype") or "", "fields": collections.OrderedDict(), "buttons": {}}
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            name, value = a["name"], a.get("value")
            if kind in ("submit", "image", "button", "reset"):
                self.form["buttons"].setdefault(name, value or "")
            elif kind == "file":
                return
            elif kind in ("checkbox", "radio"):
                # as a person would: what is checked, else one choice of each group (q6_0…q6_3
                # are one multiple-choice question with a maximum)
                stem = re.sub(r"_\d+$", "", name)
                group = [n for n in self.form["fields"] if re.sub(r"_\d+$", "", n) == stem]
                if "checked" in a or not group:
                    self.form["fields"][name] = value if value is not None else "on"
            else:
                self.form["fields"][name] = value if value else sample_value(name, kind, a)
        elif tag == "button" and a.get("name"):
            self.form["buttons"].setdefault(a["name"], a.get("value") or "")
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
            self.form["fields"].setdefault(self.select, "")
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if ("selected" in a or not self.form["fields"][self.select]) and value:
                self.form["fields"][self.select] = value
        elif tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self.textarea_attrs = a
            self.form["fields"][self.textarea] = ""

    def handle_data(self, data):
        if self.form is not None and self.textarea:
            self.form["fields"][self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.form is not None and self.textarea:
            if not self.form["fields"][self.textarea].strip():
                self.form["fields"][self.textarea] = sample_value(self.textarea, "textarea", self.textarea_attrs)
            self.textarea = None


def sample_value(name, kind, attrs=None):
    """A value an empty field of this name and type would plausibly get from a person."""
    attrs = attrs or {}
    if (kind == "number" or attrs.get("inputmode") == "numeric") and name not in COORDINATES:
        low = attrs.get("min", "1")
        return low if low.lstrip("-").isdigit() and int(low) > 0 else "1"
    text = plain_sample(name, kind)
    if attrs.get("pattern"):
        for candidate in (text, "probe", "probe_scan", "probe-scan", "PROBE", "1"):
            try:
                if re.fullmatch(attrs["pattern"], candidate):
                    return candidate
            except re.error:
                break
    if attrs.get("minlength", "").isdigit():
        while len(text) < int(attrs["minlength"]):
            text += " and more words"
    if attrs.get("maxlength", "").isdigit():
        text = text[:int(attrs["maxlength"])]
    return text


COORDINATES = {"latitude": "49.42", "lat": "49.42", "longitude": "26.98", "long": "26.98"}


def plain_sample(name, kind):
    today = datetime.date.today()
    if kind == "email" or "email" in name:
        return "probe@example.org"
    if kind == "password" or "password" in name:
        return "probe-password-1"
    if name in COORDINATES:
        return COORDINATES[name]
    if "birth" in name:
        return "1990-05-17"
    if "document_number" in name:
        return "DEMO000005"  # the demo citizen's ID card (README)
    if name == "network":
        return "203.0.113.0/24"
    if name == "domain":
        return "example.org"
    # a period that holds the demo's data: from a year ago to today
    start = name in ("from", "since", "start_date")
    day = today - datetime.timedelta(days=365) if start else today
    if kind == "datetime-local":
        return day.isoformat() + ("T00:00" if start else "T23:59")
    if kind == "date" or start or name in ("to", "until") or name.endswith(("_on", "_date")):
        return day.isoformat()
    if kind == "number":
        return "1"
    if kind == "color":
        return "#0b5cad"
    if kind == "textarea":
        return "A probe text written by the security scan, long enough for every rule."
    if kind == "search" or name == "q":
        return "probe"
    return "Probe from the security scan"


# ---------------------------------------------------------------------------------------------
# Discovery

class Discovery:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.router = Router(swift_routes())
        self.targets = []
        self.seen = set()
        self.query_routes = collections.OrderedDict()   # (identity, METHOD pattern) → {url, params}
        self.path_routes = collections.OrderedDict()    # METHOD pattern → target
        self.reached = set()
        self.search_word = "probe"

    def add(self, target):
        key = (target["kind"], target["method"], target["route"], tuple(sorted(target["params"])),
               target.get("identity") if target["kind"] == "cookie" else None)
        if key in self.seen:
            return
        self.seen.add(key)
        # Stages: reading first; then the visitors' and the citizen's forms, with those that pile
        # comments onto pages other targets read after them (sqlmap compares whole pages, and a
        # page with a thousand comments makes every comparison slow); then the administrator's
        # (moderating, editing the map) so that they do not pull things from under the citizen's;
        # what revokes or deletes runs last, alone.
        pattern = target["route"].split(" ", 1)[1]
        if DESTRUCTIVE.search(pattern):
            target["stage"] = 5
        elif target["method"] == "GET":
            target["stage"] = 1
        elif target.get("identity") == "administrator":
            target["stage"] = 4
        elif pattern.endswith("/comments"):
            target["stage"] = 3
        else:
            target["stage"] = 2
        self.targets.append(target)

    # -- links and pages --------------------------------------------------------------------

    def note_link(self, identity, client, link, method="GET", data=None, status=None):
        parsed = urllib.parse.urlsplit(link)
        path = parsed.path
        if NO_TARGET.search(path):
            return None
        pattern, variables = self.router.match(method, path)
        if pattern is None:
            return None
        self.reached.add((method, pattern))
        route = f"{method} {pattern}"
        query = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        if method == "GET" and query:
            # /open311/v2/services.json and …/requests.json share a route but not their parameters.
            shape = re.sub(r"/\d+(?=/|$)", "/{n}", path)
            entry = self.query_routes.setdefault((identity, route, shape), {"path": path, "params": collections.OrderedDict(),
                                                                             "client": client, "status": status})
            if entry["status"] != 200 and status == 200:
                entry["status"] = status
            for name, value in query:
                if name not in entry["params"] or (not entry["params"][name] and value):
                    entry["params"][name] = value
        # A path target keeps the first identity that got the page itself (not a refusal).
        known = self.path_routes.get(route)
        if variables and (known is None or (known["status"] not in (200, None) and status == 200)):
            self.path_routes[route] = {"identity": identity, "client": client, "method": method, "path": path,
                                       "variables": variables, "data": data, "status": status}
        return pattern

    def crawl(self, identity, client, seeds):
        queue = collections.deque(seeds)
        per_route = collections.Counter()
        visited = set()
        pages = 0
        while queue and pages < MAX_PAGES:
            link = queue.popleft()
            path = urllib.parse.urlsplit(link).path
            if link in visited:
                continue
            visited.add(link)
            pattern, _ = self.router.match("GET", path)
            if NO_CRAWL.search(path) or pattern is None or per_route[pattern] >= PAGES_PER_ROUTE \
                    or (identity != "anonymous" and ANONYMOUS_ONLY.search(path)):
                self.note_link(identity, client, link)
                continue
            per_route[pattern] += 1
            status, headers, content, _ = client.request("GET", link, follow=False)
            self.note_link(identity, client, link, status=status)
            pages += 1
            kind = headers.get("Content-Type") or ""
            if status in (301, 302, 303, 307, 308) and headers.get("Location"):
                found = self.local(link, headers["Location"])
                if found and found not in visited:
                    queue.append(found)
            if status != 200:
                continue
            if "html" in kind:
                parser = PageParser()
                parser.feed(content.decode("utf-8", "replace"))
                found_links = parser.links
                for form in parser.forms:
                    self.note_form(identity, client, form, link)
            elif "json" in kind:
                found_links = json_links(content)
            else:
                continue
            for found in found_links:
                found = self.local(link, found)
                if found and found not in visited:
                    queue.append(found)
        return pages

    def local(self, page, link):
        """A link on `page` as a path and query on this server, or None."""
        absolute = urllib.parse.urljoin(self.base + page, urllib.parse.urldefrag(link)[0])
        if not absolute.startswith(self.base + "/"):
            return None
        return absolute[len(self.base):]

    def note_form(self, identity, client, form, page):
        action = urllib.parse.urljoin(page, form["action"] or page)
        path = urllib.parse.urlsplit(action).path
        fields = collections.OrderedDict(form["fields"])
        for name, value in form["buttons"].items():
            fields.setdefault(name, value)
        if form["method"] == "GET":
            query = urllib.parse.urlencode(fields)
            self.note_link(identity, client, path + "?" + query)
            return
        data = urllib.parse.urlencode(fields)
        pattern = self.note_link(identity, client, path, "POST", data)
        if pattern is None:
            return
        params = [name for name in fields if name != "_csrf"]
        # A form whose fields are a subset of one already taken adds nothing (a reply form beside
        # the comment form).
        route = f"POST {pattern}"
        if any(t["kind"] == "form" and t["route"] == route and set(params) <= set(t["names"]) for t in self.targets):
            return
        self.targets = [t for t in self.targets if not (t["kind"] == "form" and t["route"] == route
                                                        and set(t["names"]) < set(params))]
        # sqlmap's -p cannot name a field with `*` or `,` in it (the community default of the
        # routing table is `route_*_`): such a field gets its own target with sqlmap's marker.
        plain = [name for name in params if not re.search(r"[*,]", name)]
        if plain:
            self.add({"kind": "form", "identity": identity, "method": "POST", "route": route,
                      "url": self.base + path, "data": data, "cookie": cookie_header(client), "params": plain,
                      "names": plain, "page": page})
        for name in params:
            if name not in plain:
                marked = urllib.parse.urlencode([(k, v + "*" if k == name else v) for k, v in fields.items()], safe="*")
                marked = marked.replace("%2A", "%2a")  # only the marker stays a bare `*`
                self.add({"kind": "form", "identity": identity, "method": "POST", "route": route,
                          "url": self.base + path, "data": marked, "cookie": cookie_header(client), "params": [],
                          "names": [name], "page": page})

    # -- targets from what the crawl saw --------------------------------------------------------

    def finish_html(self):
        # One query target per route: the citizen's if the citizen reached it, with every
        # parameter any identity's links or forms sent to it.
        merged = collections.OrderedDict()
        entries = sorted(self.query_routes.items(), key=lambda item: item[1]["status"] != 200)
        for (identity, route, shape), entry in entries:
            if (route, shape) in merged:
                for name, value in entry["params"].items():
                    merged[route, shape][1]["params"].setdefault(name, value)
            else:
                merged[route, shape] = (identity, {**entry, "params": collections.OrderedDict(entry["params"])})
        for (route, _), (identity, entry) in merged.items():
            params = list(entry["params"])
            url = self.base + entry["path"] + "?" + urllib.parse.urlencode(entry["params"])
            self.add({"kind": "query", "identity": identity, "method": "GET", "route": route, "url": url,
                      "cookie": cookie_header(entry["client"]), "params": params, "names": params,
                      **({"headers": ["Authorization: Bearer " + entry["client"].bearer]} if entry["client"].bearer else {})})
        # Every page resolves {community} the same way before anything else: it is marked on the
        # GET routes that have no other variable (one per list, export and admin page), and the
        # other variables everywhere.
        for route, entry in self.path_routes.items():
            segments = [s for s in entry["path"].split("/") if s]
            names = []
            variables = sorted(entry["variables"].items(), key=lambda kv: kv[1][0])
            if len(variables) > 1 or entry["method"] != "GET":
                variables = [v for v in variables if v[0] != "community"]
            if not variables:
                continue
            for name, (index, _) in variables:
                segments[index] += "*"
                names.append(name)
            target = {"kind": "path", "identity": entry["identity"], "method": entry["method"], "route": route,
                      "url": self.base + "/" + "/".join(segments), "cookie": cookie_header(entry["client"]),
                      "params": [], "names": names}
            if entry["client"].bearer:
                target["headers"] = ["Authorization: Bearer " + entry["client"].bearer]
            if entry["data"]:
                target["data"] = entry["data"]
            self.add(target)

    # -- the JSON API from its OpenAPI document -------------------------------------------------

    def api(self, tokens):
        document = Client(self.base).json("/api/v1/openapi.json")
        clients = {who: Client(self.base, bearer=token) for who, token in tokens.items()}
        values = {"community": COMMUNITY}
        examples = {}    # literal segment before a path variable → an id from a list
        candidates = {}  # … and the other ids of that list
        operations = []
        for path, item in document["paths"].items():
            for method, op in item.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                operations.append((method.upper(), path, op, (item.get("parameters") or []) + (op.get("parameters") or [])))

        def who(path):
            return "official" if "/office/" in path else "citizen"

        def resolve(path):
            out = []
            for segment, previous in zip(path.split("/"), [""] + path.split("/")):
                if segment.startswith("{"):
                    name = segment[1:-1]
                    value = values.get(name) if name == "community" else examples.get(previous)
                    if value is None:
                        return None
                    out.append(urllib.parse.quote(str(value)))
                else:
                    out.append(segment)
            return "/".join(out)

        # Path values from the API's own lists, until nothing new turns up.
        for _ in range(4):
            for method, path, op, _ in operations:
                concrete = resolve(path)
                if method != "GET" or concrete is None:
                    continue
                body = clients[who(path)].json(concrete)
                last = [s for s in path.split("/") if s and not s.startswith("{")][-1]
                ids = ids_in(body)
                if ids and not path.endswith("}"):
                    candidates.setdefault(last, ids)
                    examples.setdefault(last, ids[0])
                    if last == "appeals":
                        candidates.setdefault("documents", ids)
                        examples.setdefault("documents", ids[0])
        for method, path, op, parameters in operations:
            if method == "DELETE" and path == "/api/v1/session":
                continue  # would end the token every other target uses
            concrete = resolve(path) or re.sub(r"\{[^}]+\}", "1", path).replace("/1/", f"/{COMMUNITY}/", 1)
            client = clients[who(path)]
            # A GET takes the first id of the list it answers 200 for (an ended consultation's results).
            literals = path.split("/")
            last_variable = max((i for i, s in enumerate(literals) if s.startswith("{") and s != "{community}"), default=None)
            if method == "GET" and last_variable is not None:
                key = literals[last_variable - 1]
                for candidate in candidates.get(key, [])[:10]:
                    saved, examples[key] = examples.get(key), candidate
                    attempt = resolve(path)
                    examples[key] = saved
                    if attempt and client.request("GET", attempt)[0] == 200:
                        concrete = attempt
                        break
            headers = ["Authorization: Bearer " + client.bearer]
            route = f"{method} {path}"
            self.reached.add((method, path))
            query = collections.OrderedDict()
            for parameter in parameters:
                if parameter.get("in") == "query":
                    query[parameter["name"]] = self.search_word if parameter["name"] == "q" else \
                        schema_value(parameter["name"], parameter.get("schema") or {})
            url = self.base + concrete + ("?" + urllib.parse.urlencode(query) if query else "")
            data = None
            body = ((op.get("requestBody") or {}).get("content") or {}).get("application/json")
            if body is not None:
                schema = body.get("schema") or {}
                if "properties" in schema:
                    fields = {k: schema_value(k, v) for k, v in schema["properties"].items() if v.get("type") != "object"}
                    # section_id → the first of the resource's own "sections"
                    parent = client.json(concrete.rsplit("/", 1)[0]) or {}
                    for name in fields:
                        listed = parent.get(name[:-3] + "s") if name.endswith("_id") and isinstance(parent, dict) else None
                        if isinstance(listed, list) and ids_in(listed):
                            fields[name] = ids_in(listed)[0]
                else:  # a survey's answers: the fields the consultation's own survey asks for
                    fields = survey_answers(client.json(concrete.rsplit("/", 1)[0]))
                data = json.dumps(fields, ensure_ascii=False)
            elif method in ("POST", "PUT", "PATCH"):
                data = ""
            names = list(query) + (list(json.loads(data)) if data else [])
            if path == "/api/v1/session":
                headers = []
                data = json.dumps({"email": "probe@example.org", "password": PASSWORD})
                names = ["email", "password"]
            if names:
                target = {"kind": "api", "identity": who(path), "method": method, "route": route, "url": url,
                          "headers": headers, "params": names, "names": names}
                if data is not None:
                    target["data"] = data
                self.add(target)
            variables = [s[1:-1] for s in path.split("/") if s.startswith("{")]
            if variables:
                marked = "/".join(s + "*" if p.startswith("{") else s
                                  for s, p in zip(concrete.split("/"), path.split("/")))
                target = {"kind": "api-path", "identity": who(path), "method": method, "route": route,
                          "url": self.base + marked + ("?" + urllib.parse.urlencode(query) if query else ""),
                          "headers": headers, "params": [], "names": variables}
                if data is not None:
                    target["data"] = data
                self.add(target)
        # The bearer token itself, and the browser's cookies.
        self.add({"kind": "header", "identity": "citizen", "method": "GET", "route": "GET /api/v1/me",
                  "url": self.base + "/api/v1/me", "headers": ["Authorization: Bearer " + tokens["citizen"] + "*"],
                  "params": [], "names": ["Authorization"]})

    def cookies(self, identity, client):
        names = sorted(client.cookies)
        if names:
            self.add({"kind": "cookie", "identity": identity, "method": "GET", "route": f"GET /{{community}}",
                      "url": f"{self.base}/{COMMUNITY}", "cookie": cookie_header(client) + "; hromada_lang=uk",
                      "params": names + ["hromada_lang"], "names": names + ["hromada_lang"]})

    # -- machine interfaces no page links -------------------------------------------------------

    def machine_seeds(self, client):
        """Open311 and OGC API Features links, from their own documents."""
        links = []
        services = client.json(f"/open311/v2/services.json?jurisdiction_id={COMMUNITY}") or []
        code = next((s["service_code"] for s in services if s.get("metadata")), services[0]["service_code"] if services else "roads")
        definition = client.json(f"/open311/v2/services/{code}.json?jurisdiction_id={COMMUNITY}") or {}
        attributes = {a["code"]: ((a.get("values") or [{}])[0].get("key") or "1") for a in definition.get("attributes", [])}
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        links += [f"/open311/v2/services.json?jurisdiction_id={COMMUNITY}",
                  f"/open311/v2/services/{code}.json?jurisdiction_id={COMMUNITY}",
                  "/open311/v2/requests.json?" + urllib.parse.urlencode({
                      "jurisdiction_id": COMMUNITY, "service_request_id": "1", "service_code": code,
                      "start_date": (now - datetime.timedelta(days=30)).isoformat().replace("+00:00", "Z"),
                      "end_date": now.isoformat().replace("+00:00", "Z"), "status": "open"}),
                  f"/open311/v2/requests/1.json?jurisdiction_id={COMMUNITY}",
                  f"/open311/v2/tokens/hromada-1.json?jurisdiction_id={COMMUNITY}"]
        form = collections.OrderedDict([
            ("jurisdiction_id", COMMUNITY), ("api_key", "demo-open311-key"), ("service_code", code),
            ("lat", "49.4216"), ("long", "26.9965"), ("description", "A probe request from the security scan."),
            ("address_string", "probe street 1"), ("email", "probe@example.org"), ("first_name", "Probe"),
            ("last_name", "Scan")])
        for attribute, value in attributes.items():
            form[f"attribute[{attribute}]"] = value
        self.note_link("open311", client, "/open311/v2/requests.json", "POST", urllib.parse.urlencode(form))
        self.add({"kind": "form", "identity": "open311", "method": "POST", "route": "POST /open311/v2/{file}",
                  "url": self.base + "/open311/v2/requests.json", "data": urllib.parse.urlencode(form),
                  "params": list(form), "names": list(form)})
        # OGC: every collection's items with bbox, paging and one attribute filter of its own.
        landing = f"/ogc/{COMMUNITY}"
        links += [landing, landing + "/conformance", landing + "/collections"]
        collections_doc = client.json(landing + "/collections") or {}
        for collection in collections_doc.get("collections", []):
            cid = collection["id"]
            bbox = ",".join(str(x) for x in collection.get("extent", {}).get("spatial", {}).get("bbox", [[26.9, 49.38, 27.05, 49.45]])[0])
            items = client.json(f"{landing}/collections/{cid}/items?limit=1") or {}
            feature = (items.get("features") or [{}])[0]
            query = {"bbox": bbox, "bbox-crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "limit": "5", "offset": "0"}
            for key, value in (feature.get("properties") or {}).items():
                if isinstance(value, str) and cid != "reports":
                    query[key] = value
                    break
            links.append(f"{landing}/collections/{cid}/items?" + urllib.parse.urlencode(query))
            if feature.get("id") is not None:
                links.append(f"{landing}/collections/{cid}/items/{urllib.parse.quote(str(feature['id']))}")
            links.append(f"{landing}/collections/{cid}")
        # The map's GeoJSON with a bounding box and the list's filters.
        links.append(f"/{COMMUNITY}/reports.geojson?" + urllib.parse.urlencode(
            {"bbox": "26.9,49.38,27.05,49.45", "category": "roads", "status": "open",
             "from": (datetime.date.today() - datetime.timedelta(days=90)).isoformat(), "to": datetime.date.today().isoformat()}))
        for link in links:
            self.note_link("anonymous", client, link)


def json_links(content):
    """Local paths and URLs in a JSON document's strings (OGC links, `url` fields)."""
    try:
        document = json.loads(content)
    except ValueError:
        return []
    found = []

    def walk(value):
        if isinstance(value, dict):
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value[:50]:
                walk(child)
        elif isinstance(value, str) and re.match(r"^(https?://[^/\s]+)?/[^\s]*$", value) and len(value) < 500:
            found.append(value)
    walk(document)
    return found


def ids_in(value):
    """The ids of the first list of objects with ids in a JSON document."""
    if isinstance(value, list):
        ids = [item["id"] for item in value if isinstance(item, dict) and isinstance(item.get("id"), (int, str))]
        if ids:
            return ids
        value = {str(i): v for i, v in enumerate(value)}
    if isinstance(value, dict):
        for child in value.values():
            if isinstance(child, (list, dict)):
                ids = ids_in(child)
                if ids:
                    return ids
    return []


def schema_value(name, schema):
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer" or kind == "number":
        return max(1, schema.get("minimum", 1))
    if schema.get("format") == "date":
        return datetime.date.today().isoformat()
    if kind == "boolean":
        return True
    text = sample_value(name, "text")
    while len(text) < schema.get("minLength", 0):
        text += " probe"
    return text


def survey_answers(consultation):
    answers = {}
    for question in (consultation or {}).get("survey") or []:
        qid = question["id"]
        if question["kind"] == "multiple":
            answers[f"q{qid}_0"] = "on"
        elif question["kind"] == "scale":
            answers[f"q{qid}"] = str(question.get("scale_min", 1))
        elif question["kind"] == "single":
            answers[f"q{qid}"] = "0"
        else:
            answers[f"q{qid}"] = "probe"
    return answers or {"q1": "0"}


def search_seeds(client):
    """Searches with a word the demo data holds: a petition title's and a mapped object's id."""
    seeds = []
    petitions = client.json(f"/api/v1/{COMMUNITY}/petitions") or {}
    title = next((p["title"] for p in petitions.get("petitions", []) if p.get("title")), "")
    word = next((w for w in re.findall(r"\w{5,}", title)), "")
    if word:
        seeds.append(f"/{COMMUNITY}/petitions?" + urllib.parse.urlencode({"q": word}))
    collections_doc = client.json(f"/ogc/{COMMUNITY}/collections") or {}
    for collection in collections_doc.get("collections", []):
        items = client.json(f"/ogc/{COMMUNITY}/collections/{collection['id']}/items?limit=1") or {}
        source = ((items.get("features") or [{}])[0].get("properties") or {}).get("source_id")
        if source:
            seeds.append(f"/{COMMUNITY}/map?" + urllib.parse.urlencode({"q": source}))
            break
    return seeds, word or "probe"


def split_target(target):
    """A target with many parameters as several with PARAMETERS_PER_TARGET each (same request)."""
    params = target["params"]
    if len(params) <= PARAMETERS_PER_TARGET or target["names"] != params:
        return [target]
    return [{**target, "params": chunk, "names": chunk}
            for chunk in (params[i:i + PARAMETERS_PER_TARGET] for i in range(0, len(params), PARAMETERS_PER_TARGET))]


def cookie_header(client):
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def discover(base, out):
    started = time.time()
    found = Discovery(base)
    tokens = {"citizen": sign_in_api(base, CITIZEN), "official": sign_in_api(base, OFFICIAL)}
    citizen = sign_in_browser(base, CITIZEN)
    admin = sign_in_browser(base, ADMIN)
    desk = sign_in_browser(base, DESK)
    anonymous = Client(base)
    # The visitor cookie the CSRF token of anonymous forms is bound to; only a page with such a
    # form sets it (other anonymous pages set no cookie, so caches may share them).
    anonymous.request("GET", "/signin")
    # Every page whose only variable is the community, whether or not a page links it, and
    # searches that find something (sqlmap tells true from false by what a page shows).
    seeds = ["/"] + [p.replace("{community}", COMMUNITY) for m, p in swift_routes()
                     if m == "GET" and not re.sub(r"\{community\}", "", p).count("{") and not NO_TARGET.search(p)]
    searches, found.search_word = search_seeds(Client(base))
    # Pages people open from e-mailed links, with a made-up token (the crawl sees no mail).
    mailed = ["/email/confirm?token=probe-token", "/password/reset?token=probe-token",
              "/password/forgot?" + urllib.parse.urlencode({"email": "probe@example.org"})]
    seeds = searches + mailed + seeds
    pages = {}
    for identity, client in (("citizen", citizen), ("desk", desk), ("administrator", admin), ("anonymous", anonymous)):
        pages[identity] = found.crawl(identity, client, seeds)
    found.machine_seeds(Client(base))
    found.api(tokens)
    found.finish_html()
    found.cookies("citizen", citizen)
    found.cookies("anonymous", anonymous)
    found.targets = [part for target in found.targets for part in split_target(target)]
    for number, target in enumerate(found.targets, 1):
        words = re.sub(r"[^a-z0-9]+", "-", f"{target['kind']} {target['route']}".lower()).strip("-")
        target["id"] = f"{number:03d}-{words}"
    routes = swift_routes()
    unreached = [f"{m} {p}" for m, p in routes if (m, p) not in found.reached and not NO_TARGET.search(p)]
    summary = {"base": base, "pages_crawled": pages, "targets": found.targets, "unreached_routes": unreached,
               "source_query_parameters": source_query_names(), "seconds": round(time.time() - started, 1)}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "targets.json"), "w") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False)
    kinds = collections.Counter(t["kind"] for t in found.targets)
    print(f"sqlmap_targets: {len(found.targets)} targets ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}) "
          f"from {sum(pages.values())} pages, {len(routes)} routes, in {summary['seconds']} s")


# ---------------------------------------------------------------------------------------------
# Scan

TESTING = re.compile(r"testing for SQL injection on (.+?) parameter '(.+?)'")
NOT_INJECTABLE = re.compile(r"(.+?) parameter '(.+?)' (?:does not seem to be|is not) injectable")
# sqlmap's verdicts: "appears to be … injectable" is a candidate that its false-positive check may
# still drop; an injection is only what it finally reports (and writes to its `log` file).
CANDIDATE = re.compile(r"(.+?) parameter '(.+?)' appears to be '(.+?)' injectable")
INJECTABLE = re.compile(r"sqlmap identified the following injection point|parameter '(.+?)' is vulnerable\.")
HEURISTIC = re.compile(r"heuristic \(basic\) test shows that (.+?) parameter '(.+?)' might be injectable")
HTTP_CODES = re.compile(r"(\d{3}) \(([^)]*)\) - (\d+) times")


def sqlmap_command(target, directory, traffic=None):
    command = ["sqlmap", "-u", target["url"], "--output-dir", directory, *SQLMAP_OPTIONS]
    if target["method"] != "GET" or target.get("data") is not None:
        command += ["--method", target["method"]]
    if target.get("data") is not None:
        command += ["--data", target["data"]]
    for header in target.get("headers", []):
        command += ["-H", header]
    if target.get("cookie"):
        command += ["--cookie", target["cookie"]]
    if target["params"]:
        command += ["-p", ",".join(target["params"])]
    elif target.get("data"):
        # Only the marked path segments: the body goes along as it is.
        command += ["--skip", ",".join(n for n in body_names(target["data"]) if not re.search(r"[*,]", n))]
    if target["method"] == "POST":
        # A POST that worked answers 303 to what it made; the next page is not what is compared.
        command += ["--ignore-redirects"]
    if traffic:
        command += ["-t", traffic]
    return command


def body_names(data):
    try:
        return list(json.loads(data))
    except ValueError:
        return [name for name, _ in urllib.parse.parse_qsl(data, keep_blank_values=True)]


def run_target(target, out, timeout):
    directory = os.path.join(out, "sqlmap", target["id"])
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    started = time.time()
    try:
        result = subprocess.run(sqlmap_command(target, directory), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, timeout=timeout, text=True, errors="replace")
        output, timed_out = result.stdout, False
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"").decode("utf-8", "replace") if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        timed_out = True
    with open(os.path.join(directory, "output.txt"), "w") as f:
        f.write(output)
    report = parse_output(output)
    report.update(id=target["id"], timed_out=timed_out, seconds=round(time.time() - started, 1))
    # sqlmap's own record of injection points (empty unless it found one)
    for log in glob.glob(os.path.join(directory, "*", "log")):
        if os.path.getsize(log) > 0:
            report["injectable"].append(f"see {os.path.relpath(log, ROOT)}")
    if any(int(code) >= 500 for code in report["http_codes"]):
        report["server_errors"] = capture_server_errors(target, out, timeout)
    return report


def parse_output(output):
    tested, payloads, current = [], collections.Counter(), None
    not_injectable, injectable, heuristic, candidates = set(), [], [], []
    for line in output.splitlines():
        m = TESTING.search(line)
        if m:
            current = f"{m.group(1)} '{m.group(2)}'"
            if current not in tested:
                tested.append(current)
            continue
        if "[PAYLOAD]" in line and current:
            payloads[current] += 1
        m = NOT_INJECTABLE.search(line)
        if m:
            not_injectable.add(f"{m.group(1).split('] ')[-1]} '{m.group(2)}'")
            continue
        if "[PAYLOAD]" in line:
            continue
        if INJECTABLE.search(line):
            injectable.append(line.strip())
        if CANDIDATE.search(line):
            candidates.append(line.strip())
        m = HEURISTIC.search(line)
        if m:
            heuristic.append(line.strip())
    # The original request's own answer: sqlmap warns right after "testing connection" when it
    # was an error (a 422 of a form whose sample values the server refused, a 403, a 409).
    baseline = "ok"
    start = output.find("testing connection to the target URL")
    if start >= 0:
        following = output[start:].split("\n", 1)[-1]
        window = following.split("[INFO]", 1)[0]
        m = re.search(r"got HTTP error code: (\d+)|HTTP error code \((\d+)\)|page not found \((404)\)", window)
        if m:
            baseline = next(code for code in m.groups() if code)
    codes = {}
    m = re.search(r"HTTP error codes detected during run:\n(.*)", output)
    if m:
        codes = {code: int(times) for code, _, times in HTTP_CODES.findall(m.group(1))}
    critical = [line.strip() for line in output.splitlines() if "[CRITICAL]" in line]
    return {"tested": tested, "payloads": dict(payloads), "not_injectable": sorted(not_injectable),
            "injectable": injectable, "heuristic": heuristic, "candidates": candidates, "http_codes": codes,
            "baseline": baseline,
            "critical": critical}


def capture_server_errors(target, out, timeout):
    """Runs the target again with sqlmap's traffic log and keeps the requests that got a 5xx."""
    directory = os.path.join(out, "sqlmap", target["id"], "rerun")
    os.makedirs(directory, exist_ok=True)
    traffic = os.path.join(directory, "traffic.txt")
    try:
        subprocess.run(sqlmap_command(target, directory, traffic), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    errors = []
    if os.path.exists(traffic):
        text = open(traffic, encoding="utf-8", errors="replace").read()
        # "HTTP request [#n]:\n<request>\n\nHTTP response [#n] (500 Internal Server Error):\n…"
        for exchange in re.split(r"(?m)^(?=HTTP request \[#\d+\]:)", text):
            request, _, response = exchange.partition("\nHTTP response [#")
            if re.match(r"\d+\] \(5\d\d ", response):
                errors.append(request.strip()[:3000])
    path = os.path.join(out, "server-errors", target["id"] + ".txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n\n----\n\n".join(errors) or "(the rerun did not reproduce the 5xx)")
    return {"count": len(errors), "file": os.path.relpath(path, ROOT)}


def server_statuses(log, since):
    """Requests the server logged during the scan, by status, and its distinct errors."""
    statuses, errors = collections.Counter(), collections.Counter()
    if not log or not os.path.exists(log):
        return statuses, errors
    with open(log, encoding="utf-8", errors="replace") as f:
        f.seek(since)
        for line in f:
            m = re.search(r"status=(\d{3})", line)
            if m:
                statuses[m.group(1)] += 1
            m = re.search(r"unexpected error on (\S+ \S+): (.*)", line)
            if m:
                # one entry per route and message, without the row that failed
                path = re.sub(r"/\d+(?=/|$)", "/{n}", m.group(1))
                errors[f"{path}: {re.sub(r' [(]Failing row contains.*', '', m.group(2))[:300]}"] += 1
    return statuses, errors


def scan(out, jobs, timeout, server_log):
    started = time.time()
    document = json.load(open(os.path.join(out, "targets.json")))
    targets = document["targets"]
    log_start = os.path.getsize(server_log) if server_log and os.path.exists(server_log) else 0
    reports = {}
    done = 0
    for stage in sorted({t["stage"] for t in targets}):
        batch = [t for t in targets if t["stage"] == stage]
        with concurrent.futures.ThreadPoolExecutor(max_workers=1 if stage == 5 else jobs) as pool:
            futures = {pool.submit(run_target, t, out, timeout): t for t in batch}
            for future in concurrent.futures.as_completed(futures):
                done += 1
                target = futures[future]
                report = future.result()
                reports[target["id"]] = report
                flag = "INJECTABLE" if report["injectable"] else "TIMEOUT" if report["timed_out"] else \
                    "5xx" if report.get("server_errors") else "ok"
                print(f"[{done:3}/{len(targets)}] {flag:10} {report['seconds']:5.1f}s  {target['kind']:8} {target['identity']:13} "
                      f"{target['route']}  tested {len(report['tested'])}/{len(target['names'])}: {', '.join(target['names'])}",
                      flush=True)
    statuses, errors = server_statuses(server_log, log_start)
    return summarize(document, targets, reports, statuses, errors, out, time.time() - started)


def summarize(document, targets, reports, statuses, errors, out, seconds):
    problems = []
    tested_names = set()
    parameters = payloads = 0
    untested, refused = [], []
    for target in targets:
        report = reports[target["id"]]
        # the request with the original values was itself refused: the payloads went through
        # the router and the handler's first checks, maybe not further
        if report.get("baseline", "ok") != "ok":
            refused.append(f"{report['baseline']} {target['identity']} {target['route']} {'/'.join(target['names'])}")
        parameters += len(report["tested"])
        payloads += sum(report["payloads"].values())
        tested_here = {re.sub(r"^(JSON|MULTIPART) ", "", t.split("'")[1]) for t in report["tested"]}
        tested_names |= tested_here
        expected = len(target["names"])
        if len(report["tested"]) < expected:
            untested.append(f"{target['id']} ({target['route']}): {len(report['tested'])} of {expected} "
                            f"parameters tested; {'; '.join(report['critical']) or 'see its output.txt'}")
        if report["injectable"]:
            problems.append(f"INJECTION {target['method']} {target['url']}: " + " | ".join(report["injectable"]))
        if report.get("server_errors"):
            problems.append(f"5xx from {target['method']} {target['url']} ({report['http_codes']}): "
                            f"requests in {report['server_errors']['file']}")
        if report["timed_out"]:
            problems.append(f"TIMEOUT {target['id']} {target['route']}")
    # Every query parameter the sources read must have been tested somewhere.
    missing = sorted(name for name in document["source_query_parameters"] if name not in tested_names)
    for name in missing:
        problems.append(f"query parameter '{name}' ({document['source_query_parameters'][name]}) is tested by no target")
    problems += [f"UNTESTED {line}" for line in untested]
    server_errors = sum(n for code, n in statuses.items() if code.startswith("5"))
    if server_errors:
        problems.append(f"the server answered 5xx {server_errors} times during the scan")
    injections = sum(len(reports[t["id"]]["injectable"]) > 0 for t in targets)
    heuristics = [h for t in targets for h in reports[t["id"]]["heuristic"]]
    codes = collections.Counter()
    for report in reports.values():
        codes.update(report["http_codes"])
    summary = {
        "targets": len(targets), "parameters_tested": parameters, "payload_requests": payloads,
        "injectable": injections, "server_requests_by_status": dict(sorted(statuses.items())),
        "sqlmap_http_error_codes": dict(sorted(codes.items())), "heuristic_positives": heuristics,
        "unreached_routes": document["unreached_routes"], "answered_only_with_errors": refused,
        "server_errors": dict(errors), "problems": problems, "seconds": round(seconds, 1),
        "reports": reports,
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False)
    kinds = collections.Counter(t["kind"] for t in targets)
    print()
    print("== sqlmap summary ==")
    print(f"targets:            {len(targets)} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")
    print(f"parameters tested:  {parameters} (distinct names {len(tested_names)}; "
          f"source query parameters covered {len(document['source_query_parameters']) - len(missing)}/{len(document['source_query_parameters'])})")
    print(f"payload requests:   {payloads}")
    print(f"server answers:     {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items())) or 'no server log'}")
    print(f"heuristic hints:    {len(heuristics)}; candidates sqlmap then found false: "
          f"{sum(len(r['candidates']) for r in reports.values())}")
    print(f"original refused:   {len(refused)} targets whose request with the original values got 4xx "
          f"(a one-shot action already done, a form's sample values refused; list in summary.json)")
    print(f"injectable found:   {injections}")
    if document["unreached_routes"]:
        print(f"routes no crawled page or API document reaches ({len(document['unreached_routes'])}): "
              + ", ".join(document["unreached_routes"]))
    for problem in problems:
        print("PROBLEM: " + problem)
    for error, count in errors.most_common(10):
        print(f"SERVER ERROR ({count}x) {error}")
    print(f"sqlmap wall time:   {seconds:.0f} s")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("discover")
    d.add_argument("base")
    d.add_argument("out")
    s = sub.add_parser("scan")
    s.add_argument("out")
    s.add_argument("--jobs", type=int, default=2)
    s.add_argument("--timeout", type=int, default=240)
    s.add_argument("--server-log")
    args = parser.parse_args()
    if args.command == "discover":
        discover(args.base, args.out)
        return 0
    return scan(args.out, args.jobs, args.timeout, args.server_log)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What `postwright plan` does, written as a user would write it in Python.

The reference stack of issue 17: python-frontmatter (Markdown posts),
PyYAML (YAML posts and the front matter, with libyaml's CSafeLoader when
built with it, as python-frontmatter picks it), jsonschema (the post schema,
schema/post.schema.json), Pillow (image headers) and hashlib (SHA-256). It is
the benchmark's yardstick, not a second implementation to maintain: it
follows postwright on the generated benchmark repos (the same counts, and the
same content hashes, so a recorded post reads as published) and covers the
common cases of real repos, not every rule of `postwright validate`.

Per post it: reads the file; splits the front matter (python-frontmatter) or
loads the YAML; checks it against the schema (one compiled validator); picks
the account and platform from postwright.toml; resolves the media paths;
opens each image's header with Pillow (size, format) and reads the first
bytes of each video (the `ftyp` box), once per file; checks a few platform
rules (media present, JPEG images, MP4/MOV videos, caption length, hashtags,
mentions, carousel size, feed aspect ratio); hashes each media file's bytes
once (hashlib.sha256, 64 KiB reads); computes the content hash of what
reaches Instagram exactly as postwright does (the same compact JSON, so the
hashes in the state record match); then judges the post against the state
record (.postwright/state.json, format 1/2 `posts.<id>` or format 3
`posts.<id>.<account>`): publish, scheduled, draft, published, changed,
update, resume, moved, removed, duplicate (the guard by media and caption
hashes, simplified), invalid.

Usage: plan.py REPO [--at RFC3339] [--json]
Prints the summary counts (`--json`: the counts as JSON) on stdout.
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import sys
import tomllib
from zoneinfo import ZoneInfo

import frontmatter
import jsonschema
import yaml
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "schema", "post.schema.json")
VIDEO_EXT = (".mp4", ".mov", ".m4v")
ORDER = ["invalid", "resume", "publish", "update", "moved", "scheduled", "draft",
         "published", "changed", "duplicate", "removed"]

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PostLoader(Loader):
    """YAML as postwright reads it: timestamps stay strings (the schema
    wants `publish_at` as text, PyYAML would make it a datetime)."""


PostLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in Loader.yaml_implicit_resolvers.items()
}


class YAMLHandler(frontmatter.YAMLHandler):
    def load(self, fm, **kwargs):
        return yaml.load(fm, Loader=PostLoader)


HANDLER = YAMLHandler()


def compact(value):
    """serde_json::to_vec's bytes: compact, UTF-8, keys in the order given."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def sha(value):
    return "sha256:" + hashlib.sha256(compact(value)).hexdigest()


def parse_time(text, tz):
    text = text.strip()
    if "[" in text:
        clock, zone = text[:-1].split("[", 1)
        t = dt.datetime.fromisoformat(clock)
        return t.replace(tzinfo=ZoneInfo(zone)) if t.tzinfo is None else t
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if len(text) <= 10:
        raise ValueError(f"`{text}` has a date but no time of day")
    return t if t.tzinfo else t.replace(tzinfo=tz)  # fold=0: the first of a repeated hour


def resolve(post_rel, src):
    """A media path as a repo-relative path (None: outside the repo)."""
    if src.startswith("/"):
        parts = src[1:].split("/")
    else:
        parts = post_rel.split("/")[:-1] + src.split("/")
    out = []
    for p in parts:
        if p in ("", "."):
            continue
        if p == "..":
            if not out:
                return None
            out.pop()
        else:
            out.append(p)
    return "/".join(out)


def floats(tags, keys):
    """Tags as serde serialises them: every field, x/y as f64, absent as null."""
    out = []
    for t in tags or []:
        d = {}
        for k in keys:
            v = t.get(k)
            d[k] = float(v) if k in ("x", "y") and v is not None else v
        out.append(d)
    return out


class Media:
    """Headers and hashes of media files, each read once."""

    def __init__(self, repo):
        self.repo = repo
        self.info = {}
        self.hashes = {}

    def header(self, rel):
        if rel not in self.info:
            path = os.path.join(self.repo, rel)
            try:
                if rel.lower().endswith(VIDEO_EXT):
                    with open(path, "rb") as f:
                        head = f.read(12)
                    ok = len(head) == 12 and head[4:8] == b"ftyp"
                    self.info[rel] = ("video", head[8:12].decode("latin-1"), None) if ok else ("bad", "not an MP4/MOV", None)
                else:
                    with Image.open(path) as im:
                        self.info[rel] = ("image", im.format, im.size)
            except FileNotFoundError:
                self.info[rel] = ("missing", None, None)
            except Exception as e:  # Pillow: not an image it knows
                self.info[rel] = ("bad", str(e), None)
        return self.info[rel]

    def hash(self, source):
        if source.startswith("url:"):
            return source
        if source not in self.hashes:
            h = hashlib.sha256()
            try:
                with open(os.path.join(self.repo, source), "rb") as f:
                    while chunk := f.read(65536):
                        h.update(chunk)
                self.hashes[source] = "sha256:" + h.hexdigest()
            except OSError:
                self.hashes[source] = f"unreadable:{source}"
        return self.hashes[source]


def discover(repo, folders):
    """(rel, default id) of every post file, in path order, as postwright scans."""
    found = {}
    for folder in folders:
        folder = folder.strip("/")
        base = os.path.join(repo, folder)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith(".") or not name.lower().endswith((".md", ".markdown", ".yaml", ".yml")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), repo).replace(os.sep, "/")
                under = rel[len(folder):].lstrip("/") if folder else rel
                slash = under.rfind("/") + 1
                dot = under.rfind(".")
                found.setdefault(rel, under[:dot] if dot > slash else under)
    return sorted(found.items())


def load_post(repo, rel):
    """The post's fields, or None when the file is not a post (Markdown
    without front matter)."""
    with open(os.path.join(repo, rel), encoding="utf-8-sig") as f:
        text = f.read()
    if rel.lower().endswith((".md", ".markdown")):
        if text.split("\n", 1)[0].rstrip() != "---":
            return None
        post = frontmatter.loads(text, handler=HANDLER)
        fields = dict(post.metadata)
        if post.content:
            if "caption" in fields:
                raise ValueError("`caption` is given in the front matter and as the Markdown body")
            fields["caption"] = post.content
        return fields
    fields = yaml.load(text, Loader=PostLoader)
    return {} if fields is None else fields


def check(repo, rel, f, media, kind_of):
    """Platform rules (a subset of postwright's Instagram rules): problems,
    the post type, and the resolved media and cover."""
    problems = []
    items = f.get("media") or []
    srcs = [m if isinstance(m, str) else m["src"] for m in items]
    sources = []
    for src in srcs:
        if src.startswith("https://"):
            sources.append("url:" + src)
            continue
        path = resolve(rel, src)
        if path is None:
            problems.append(f"{src}: outside the repository")
            sources.append(None)
            continue
        sources.append(path)
    if not items:
        problems.append("Instagram has no text-only posts: a post needs `media`")
    kind = f.get("type")
    if kind in (None, "text"):
        if len(items) == 1:
            kind = "reel" if srcs[0].lower().endswith(VIDEO_EXT) else "image"
        else:
            kind = "carousel"
    if kind == "carousel" and not 2 <= len(items) <= 10:
        problems.append(f"a carousel has 2 to 10 items, this one {len(items)}")
    for s in sources:
        if s is None or s.startswith("url:"):
            continue
        what, fmt, size = media.header(s)
        if what == "missing":
            problems.append(f"{s}: no such file")
        elif what == "bad":
            problems.append(f"{s}: {fmt}")
        elif what == "image":
            if fmt != "JPEG":
                problems.append(f"{s}: Instagram takes JPEG images, this is {fmt}")
            elif kind in ("image", "carousel"):
                w, h = size
                if not 0.8 - 1e-9 <= w / h <= 1.91 + 1e-9:
                    problems.append(f"{s}: aspect ratio {w}x{h} is outside 4:5 to 1.91:1")
        elif what == "video" and kind == "image":
            problems.append(f"{s}: a video where an image goes")
    cover = None
    if f.get("cover") and kind == "reel":
        src = f["cover"]
        cover = "url:" + src if src.startswith("https://") else resolve(rel, src)
        if cover and not cover.startswith("url:") and media.header(cover)[0] != "image":
            problems.append(f"{cover}: the cover is not an image")
    caption = f.get("caption")
    if caption is not None:
        if kind == "story":
            problems.append("stories have no caption")
        if len(caption) > 2200:
            problems.append(f"the caption has {len(caption)} characters, at most 2200")
        if len(re.findall(r"#\w", caption)) > 30:
            problems.append("more than 30 hashtags")
        if len(re.findall(r"(?<![\w@])@[\w.]", caption)) > 20:
            problems.append("more than 20 @-mentions")
    return problems, kind, sources, cover


def content_hash(account, platform, kind, f, sources, cover, media):
    """Hash of what reaches Instagram: the JSON postwright's plan::hash hashes."""
    items = f.get("media") or []
    parts = []
    for item, source in zip(items, sources):
        obj = item if isinstance(item, dict) else {}
        part = {
            "content": media.hash(source),
            "alt_text": obj.get("alt_text"),
            "user_tags": floats(obj.get("user_tags"), ("username", "x", "y")),
        }
        if obj.get("product_tags"):
            part["product_tags"] = floats(obj["product_tags"], ("product_id", "x", "y"))
        parts.append(part)
    loc = f.get("location_id")
    doc = {
        "account": account,
        "kind": kind,
        "caption": f.get("caption"),
        "media": parts,
        "cover": media.hash(cover) if cover else None,
        "location_id": None if loc is None else str(loc),
        "user_tags": floats(f["user_tags"], ("username", "x", "y")) if f.get("user_tags") is not None else None,
        "alt_text": f.get("alt_text"),
        "collaborators": f.get("collaborators"),
        "first_comment": f.get("first_comment"),
        "thumb_offset": f.get("thumb_offset"),
        "share_to_feed": f.get("share_to_feed"),
        "audio_name": f.get("audio_name"),
    }
    for key in ("trial", "product_tags", "paid_partnership", "sponsor_ids", "ai_generated"):
        if f.get(key) is not None:
            doc[key] = floats(f[key], ("product_id", "x", "y")) if key == "product_tags" else f[key]
    if platform == "threads":
        t = f.get("threads") or {}
        doc["threads"] = {k: t.get(k) for k in ("reply_control", "topic_tag", "link_attachment")}
    media_doc = {"kind": kind, "media": [media.hash(s) for s in sources],
                 "cover": media.hash(cover) if cover else None}
    return sha(doc), sha(media_doc), sha(f.get("caption"))


def load_state(repo):
    """{(id, account): record}, from format 1/2 (`posts.<id>`, the account
    inside) or format 3 (`posts.<id>.<account>`)."""
    path = os.path.join(repo, ".postwright", "state.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        state = json.load(f)
    version = state["format_version"]
    if version > 3:
        sys.exit(f"state record format {version} is newer than this script knows")
    out = {}
    for pid, rec in state.get("posts", {}).items():
        if version < 3:
            out[(pid, rec["account"])] = rec
        else:
            for account, r in rec.items():
                out[(pid, account)] = r
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo")
    ap.add_argument("--at", help="RFC 3339 (default: now)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    repo = args.repo
    with open(os.path.join(repo, "postwright.toml"), "rb") as f:
        config = tomllib.load(f)
    tz = ZoneInfo(config.get("timezone", "UTC"))
    accounts = config.get("accounts", {})
    default_account = config.get("default_account") or (next(iter(accounts)) if len(accounts) == 1 else None)
    at = parse_time(args.at, tz) if args.at else dt.datetime.now(dt.timezone.utc)
    with open(SCHEMA, encoding="utf-8") as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    media = Media(repo)
    state = load_state(repo)

    entries = []  # (action, id, account, publish_at, hashes)
    targets = set()
    ids = set()
    for rel, default_id in discover(repo, config.get("content", ["posts"])):
        try:
            f = load_post(repo, rel)
        except (yaml.YAMLError, ValueError, UnicodeDecodeError) as e:
            entries.append(["invalid", rel, None, None, None, str(e)])
            continue
        if f is None:
            continue
        pid = f.get("id", default_id) if isinstance(f, dict) else default_id
        ids.add(pid)
        errors = [e.message for e in validator.iter_errors(f)] if isinstance(f, dict) else ["not a mapping"]
        if errors:
            entries.append(["invalid", pid, None, None, None, errors[0]])
            continue
        names = f.get("accounts") or [f.get("account") or default_account]
        for account in names:
            targets.add((pid, account))
            if account not in accounts:
                entries.append(["invalid", pid, account, None, None, f"no account `{account}`"])
                continue
            acc = accounts[account]
            platform = acc.get("platform", "threads" if acc.get("login") == "threads" else "instagram")
            fields = dict(f)
            over = f.get(platform) or {}
            for k in ("caption", "media"):
                if over.get(k) is not None:
                    fields[k] = over[k]
            problems, kind, sources, cover = check(repo, rel, fields, media, None)
            when = None
            if fields.get("publish_at") is not None:
                try:
                    when = parse_time(fields["publish_at"], tz)
                except ValueError as e:
                    problems.append(str(e))
            if problems:
                entries.append(["invalid", pid, account, None, None, problems[0]])
                continue
            hashes = content_hash(account, platform, kind, fields, sources, cover, media)
            r = state.get((pid, account))
            action = judge(r, fields, hashes[0], when, at)
            entries.append([action, pid, account, when, hashes, fields.get("allow_duplicate", False)])

    # Records whose file is gone: moved (same account and content hash) or removed.
    orphans = {}
    for (pid, account), r in state.items():
        if (pid, account) not in targets and r["status"] != "failed":
            orphans.setdefault((r["content_hash"], account), []).append((pid, r))
    adopted = set()
    for e in entries:
        if e[0] in ("publish", "scheduled", "draft") and (e[1], e[2]) not in state:
            ids_ = orphans.get((e[4][0], e[2]))
            if ids_:
                old, r = ids_.pop(0)
                adopted.add((old, e[2]))
                e[0] = "moved" if r["status"] == "published" else "resume"
    for key in state:
        if key not in targets and key not in adopted:
            entries.append(["removed", key[0], key[1], None, None, None])

    # The duplicate guard (simplified): a would-be publish whose media and
    # caption equal a live or in-flight record's under another id on the
    # same account, or an earlier would-be publish's in apply's order.
    live = {}
    for (pid, account), r in state.items():
        if r["status"] != "failed":
            key = (account, r.get("media_hash"), r.get("caption_hash")) if r.get("media_hash") else (account, r["content_hash"])
            live.setdefault(key, set()).add(pid)
    seen = {}
    order = sorted(range(len(entries)), key=lambda i: (ORDER.index(entries[i][0]), entries[i][3] is not None,
                                                       entries[i][3] or at, entries[i][1], entries[i][2] or ""))
    for i in order:
        e = entries[i]
        if e[0] not in ("publish", "scheduled") or e[5] is True:
            continue
        content, mhash, chash = e[4]
        keys = [(e[2], mhash, chash), (e[2], content)]
        if any(live.get(k, set()) - {e[1]} for k in keys) or seen.get(keys[0], e[1]) != e[1]:
            e[0] = "duplicate"
        else:
            seen.setdefault(keys[0], e[1])

    counts = {}
    for e in entries:
        counts[e[0]] = counts.get(e[0], 0) + 1
    if args.json:
        print(json.dumps(dict(sorted(counts.items()))))
    else:
        print(", ".join(f"{counts[a]} {a}" for a in ORDER if a in counts) or "no posts")


def judge(r, f, chash, when, at):
    """judge_new / judge_recorded of postwright's plan."""
    if r is None or r["status"] == "failed":
        if f.get("draft"):
            return "draft"
        return "scheduled" if when is not None and when > at else "publish"
    if r["status"] in ("creating", "publishing"):
        return "resume"
    if r["content_hash"] != chash:
        return "changed"
    if r.get("media_id") is None:
        return "published"
    if f.get("comments", True) != r.get("comments_enabled", True):
        return "update"
    if f.get("first_comment") is not None and r.get("first_comment_id") is None:
        return "update"
    return "published"


if __name__ == "__main__":
    main()

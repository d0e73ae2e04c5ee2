#!/usr/bin/env python3
"""The benchmark repos of scripts/bench.sh.

gen.py posts DIR N        N posts sharing example-content's media (copied
                          in, with postwright.toml): images, carousels of
                          three (two photos and a video), reels with covers,
                          and stories, 500 to a folder
gen.py photos DIR N PHOTOS  N single-image posts, photo i being PHOTOS/p<i>.jpg
                          (hard-linked in)
gen.py state DIR BIN      a state record (format 1) with every post
                          published, the hashes as `BIN plan` computes them
"""

import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

KINDS = [
    "media: [/media/studio.jpg]\nalt_text: Shelves of bowls\nlocation_id: \"110123456789\"\n",
    "media:\n  - src: /media/mug-desk.jpg\n    alt_text: A mug\n    user_tags: [{username: a.b, x: 0.5, y: 0.5}]\n  - /media/mug-hand.jpg\n  - /media/kiln-timelapse.mp4\ncollaborators: [partner]\n",
    "type: reel\nmedia: [/media/glaze-reel.mp4]\ncover: /media/glaze-cover.jpg\nshare_to_feed: true\n",
]


def base(d):
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(ROOT, "example-content", "postwright.toml"), d)
    if not os.path.isdir(os.path.join(d, "media")):
        shutil.copytree(os.path.join(ROOT, "example-content", "media"), os.path.join(d, "media"))


def posts(d, n):
    base(d)
    for i in range(n):
        sub = os.path.join(d, "posts", f"{i // 500:03}")
        os.makedirs(sub, exist_ok=True)
        if i % 4 == 3:
            with open(os.path.join(sub, f"story-{i}.yaml"), "w") as f:
                f.write(f"type: story\npublish_at: 2027-01-{1 + i % 28:02} 09:00\nmedia: [/media/story-sale.jpg]\n")
        else:
            with open(os.path.join(sub, f"post-{i}.md"), "w") as f:
                f.write(f"---\npublish_at: 2027-01-{1 + i % 28:02}T09:00:00+01:00\n{KINDS[i % 3]}first_comment: \"#ceramics\"\n---\nPost number {i}. #handmade #stoneware @friend\n\nA second paragraph of caption text.\n")


def photos(d, n, source):
    base(d)
    os.makedirs(os.path.join(d, "media/photos"), exist_ok=True)
    for i in range(n):
        # A hard link when on the same file system (no copy, and not a
        # symlink, which media checks may refuse), else a copy.
        name = f"p{i + 1:05}.jpg"
        src, dst = os.path.join(source, name), os.path.join(d, "media/photos", name)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy(src, dst)
    for i in range(n):
        sub = os.path.join(d, "posts", f"{i // 500:03}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"photo-{i}.md"), "w") as f:
            f.write(f"---\npublish_at: 2027-01-{1 + i % 28:02}T09:00:00+01:00\nmedia: [/media/photos/p{i + 1:05}.jpg]\nalt_text: Photo {i}\n---\nPhoto number {i}. #handmade\n")


def state(d, binary):
    out = subprocess.run([binary, "--repo", d, "plan", "--at", "2026-01-01T00:00:00Z", "--format", "json"],
                         stdout=subprocess.PIPE, check=False).stdout
    plan = json.loads(out)
    records = {}
    for i, e in enumerate(plan["entries"]):
        records[e["id"]] = {"status": "published", "file": e["file"], "account": e["account"], "type": e["type"],
                            "content_hash": e["content_hash"], "container_id": str(17900000000000000 + i),
                            "media_id": str(18000000000000000 + i), "permalink": f"https://www.instagram.com/p/C{i:09d}/",
                            "published_at": "2026-11-01T08:00:00Z", "comments_enabled": True}
    os.makedirs(os.path.join(d, ".postwright"), exist_ok=True)
    path = os.path.join(d, ".postwright/state.json")
    with open(path, "w") as f:
        json.dump({"format_version": 1, "posts": records}, f, indent=2)
    return len(records), os.path.getsize(path)


if __name__ == "__main__":
    what, d = sys.argv[1], sys.argv[2]
    if what == "posts":
        posts(d, int(sys.argv[3]))
    elif what == "photos":
        photos(d, int(sys.argv[3]), sys.argv[4])
    elif what == "state":
        n, size = state(d, sys.argv[3])
        print(f"state record: {n} entries, {size // 1024} KiB")
    else:
        sys.exit(__doc__)

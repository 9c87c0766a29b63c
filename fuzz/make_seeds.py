#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/seeds/<target>/.

Seeds come from the repository's fixtures (tests/fixtures, feeds/*.toml), from any extra
fixture folders given as arguments (e.g. /work/shared/fixtures/real), and from grown
documents over 64 KiB with non-ASCII text, built here so that they are reproducible.
`cargo fuzz cmin` then reduces fuzz/seeds/<target> into the committed fuzz/corpus/<target>.

Usage: python3 fuzz/make_seeds.py [EXTRA_FIXTURE_DIR ...]   (from the repository root)
"""

import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"

# Byte 0 of a parse_document input picks the declared kind: index into Kind::ALL
# (auto rss atom rdf jsonfeed pubmed europepmc biorxiv ctgov arxiv); +64 adds a
# UTF-16 charset, +128 a Latin-1 charset (see src/fuzzing.rs).
KINDS = ["auto", "rss", "atom", "rdf", "jsonfeed", "pubmed", "europepmc", "biorxiv", "ctgov", "arxiv"]

# Non-ASCII text that real documents carry: accented author names, Greek, CJK, emoji.
WORDS = [
    "Müller", "Ødegård", "Łukasz", "José", "Nuñez", "Žižek", "αβγ-ketamine", "ケタミン",
    "氯胺酮", "депрессия", "esketamine", "R,S-ketamine", "naïve", "café", "🧠", "Straße",
]


def write(target, name, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    digest = hashlib.sha1(data).hexdigest()[:12]
    (d / f"{name}-{digest}").write_bytes(data)


def kind_for(path, data):
    text = data[:4096].decode("utf-8", "replace")
    parts = str(path).lower()
    for name, kind in [("pubmed", "pubmed"), ("europepmc", "europepmc"),
                       ("biorxiv", "biorxiv"), ("clinicaltrials", "ctgov"), ("ctgov", "ctgov"),
                       ("arxiv", "arxiv")]:
        if name in parts and ("<PubmedArticle" in text or name != "pubmed"):
            return kind
    return "auto"


def documents(dirs):
    for d in dirs:
        for p in sorted(pathlib.Path(d).rglob("*")):
            if p.is_file() and p.suffix in (".xml", ".json", ".html", ".rss", ".atom"):
                yield p, p.read_bytes()


def grow(unit, head, tail, size, sep=""):
    """Repeats `unit(i)` between head and tail until the document is over `size` bytes;
    returns the head and the document."""
    parts, n, i = [head], len(head.encode()), 0
    while n < size:
        u = unit(i) + sep
        parts.append(u)
        n += len(u.encode())
        i += 1
    if sep:
        parts[-1] = parts[-1][: -len(sep)]
    parts.append(tail)
    return head, "".join(parts)


def word(i):
    return WORDS[i % len(WORDS)]


def grown_documents():
    """Documents over 64 KiB whose non-ASCII text straddles byte 65,536, with `&` in them."""
    rss_item = lambda i: (f"<item><title>Ketamine &amp; {word(i)} {i}</title>"
                          f"<author>{word(i + 3)} {word(i + 5)}</author>"
                          f"<description>&lt;p&gt;{word(i + 1)} &eacute; &nbsp;</description>"
                          f"<pubDate>Mon, 0{i % 9 + 1} Jan 2024 10:00:00 +0100</pubDate></item>")
    yield "rss-grown", "auto", *grow(rss_item, "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>"
                                    "<title>Grown</title><link>https://e.org/</link>",
                                    "</channel></rss>", 70_000)
    atom_entry = lambda i: (f"<entry><id>urn:x:{i}</id><title type=\"html\">{word(i)} &amp;amp; "
                            f"{word(i + 2)}</title><author><name>{word(i + 7)}</name></author>"
                            f"<updated>2024-05-0{i % 9 + 1}T12:00:00Z</updated>"
                            f"<summary>{word(i + 4)} &#233; &#x1F9E0;</summary></entry>")
    yield "atom-grown", "auto", *grow(atom_entry, "<feed xmlns=\"http://www.w3.org/2005/Atom\">"
                                     "<title>Grown</title>", "</feed>", 70_000)
    pubmed = lambda i: (f"<PubmedArticle><MedlineCitation><PMID>{10_000_000 + i}</PMID><Article>"
                        f"<ArticleTitle>{word(i)} &amp; ketamine</ArticleTitle><AuthorList>"
                        f"<Author><LastName>{word(i + 1)}</LastName><ForeName>{word(i + 9)}"
                        f"</ForeName></Author></AuthorList></Article></MedlineCitation>"
                        f"</PubmedArticle>")
    yield "pubmed-grown", "pubmed", *grow(pubmed, "<?xml version=\"1.0\"?><!DOCTYPE PubmedArticleSet>"
                                         "<PubmedArticleSet>", "</PubmedArticleSet>", 70_000)
    json_item = lambda i: json.dumps({"id": str(i), "title": f"{word(i)} & ketamine",
                                      "content_html": f"<p>{word(i + 1)} &amp; {word(i + 2)}</p>",
                                      "authors": [{"name": word(i + 3)}],
                                      "date_published": "2024-05-01T00:00:00Z"},
                                     ensure_ascii=False)
    yield "jsonfeed-grown", "auto", *grow(json_item, "{\"version\":\"https://jsonfeed.org/version/1.1\","
                                         "\"title\":\"Grown\",\"items\":[", "]}", 70_000, ",")
    epmc = lambda i: json.dumps({"id": str(i), "source": "MED", "pmid": str(i),
                                 "title": f"{word(i)} & esketamine", "authorString": word(i + 5),
                                 "firstPublicationDate": "2024-05-01"}, ensure_ascii=False)
    yield "europepmc-grown", "europepmc", *grow(epmc, "{\"hitCount\":1,\"resultList\":{\"result\":[",
                                               "]}}", 70_000, ",")


def parse_seeds(extra):
    for path, data in documents([ROOT / "tests" / "fixtures", *extra]):
        kind = kind_for(path, data)
        write("parse_document", f"{kind}-{path.stem}", bytes([KINDS.index(kind)]) + data)
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            write("parse_document", f"utf16-{path.stem}", bytes([64]) + data)
    for name, kind, head, text in grown_documents():
        body = straddle(head, text).encode("utf-8")
        sel = KINDS.index(kind)
        write("parse_document", name, bytes([sel]) + text.encode("utf-8"))
        write("parse_document", f"{name}-straddle", bytes([sel]) + body)
        write("parse_document", f"{name}-utf16", bytes([64 + sel]) + b"\xff\xfe" + text.encode("utf-16-le"))
        write("parse_document", f"{name}-latin1", bytes([128 + sel]) + text.encode("latin-1", "replace"))


def straddle(head, text):
    """Pads `text` after its `head` so that a multi-byte character covers byte 65,536."""
    b = text.encode("utf-8")
    lead = next(j for j in range(62_000, len(b)) if b[j] >= 0xC2)
    pad = 65_535 - lead
    return head + " " * pad + text[len(head):]


def filter_seeds():
    filters = set()
    for p in (ROOT / "feeds").glob("*.toml"):
        filters.update(re.findall(r'^filter = "((?:[^"\\]|\\.)*)"', p.read_text(), re.M))
    filters.update([
        "keta* -title:erratum", "(ketamine OR esketamine) -title:(erratum OR corrigendum)",
        "author:zarate journal:lancet category:psych*", "\"nasal spray\" AND NOT mesh:rats",
        "((((a))))", "-(a OR b)", "title:\"ketamine müller\"*", "abstract:(2R,6R)-HNK",
        "NOT (a AND b) OR c", "ケタミン OR 氯胺酮",
    ])
    for i, f in enumerate(sorted(filters)):
        write("relevance_filter", f"filter{i}", f.replace('\\"', '"'))


def query_seeds():
    for i, q in enumerate(["ketamine", "esketamine OR arketamine", "treatment-resistant depress*",
                           "(2R,6R)-HNK", "OR ketamine AND", "(ketamine OR", "ketamine)",
                           "\"nasal spray\" NOT rats", "keta* AND (depress* OR suicid*)",
                           "Müller café*", "a\"b\"\"c", "NOT NOT", "( ) ( a )"]):
        write("search_query", f"query{i}", q)


def date_seeds(extra):
    found = set()
    pat = re.compile(rb"<(?:pubDate|updated|published|dc:date|issued|modified|created)>([^<]{1,60})<"
                     rb"|\"(?:date_published|date_modified|firstPublicationDate|date)\"\s*:\s*\"([^\"]{1,60})\"")
    for _, data in documents([ROOT / "tests" / "fixtures", *extra]):
        for a, b in pat.findall(data):
            found.add((a or b).decode("utf-8", "replace"))
    found.update(["2024", "2024-05", "2024-05-01", "2024/05/01 12:30", "2024-05-01T12:30:00+0000",
                  "Mon, 01 Jan 2024 10:00:00 GMT", "1 Jan 24 10:00 EST", "7d", "12w", "6m", "1y",
                  "2024-02-29T23:59:60Z", "Tue, 30 Feb 2024 25:00:00 +2500"])
    for i, d in enumerate(sorted(found)[:200]):
        write("dates", f"date{i}", d)


def config_seeds():
    for p in sorted((ROOT / "feeds").glob("*.toml")):
        if p.name != "conditions.toml":
            write("config", p.stem, p.read_bytes())
    write("config", "settings", """include_builtin_feeds = false
[http]
user_agent = "ketlit-test (mailto:a@example.org)"
timeout_secs = 30
max_body_bytes = 10485760
concurrency = 4
[schedule]
default = "0 0 */6 * * *"
error_backoff_secs = 600
[pubmed]
email = "a@example.org"
[tagging]
rules = "~/rules.toml"
[daemon]
shutdown_grace_secs = 5
[[feed]]
name = "Müller's journal"
url = "https://example.org/rss"
kind = "rss"
lookback_days = 30
filter = "ketamine OR esketamine"
""")


def tagger_seeds():
    cases = [json.loads(line) for line in (ROOT / "tests/fixtures/tagging/cases.jsonl").open()]
    for c in cases:
        if c["split"] != "tune":
            continue  # the held-out split stays out of everything but its own test
        fields = [c.get("title") or "", c.get("abstract") or ""]
        for key in ("mesh", "keywords", "publication_types", "conditions"):
            fields.append("\x1f".join(c.get(key) or []))
        write("tagger", c["id"], "\x1e".join(fields))


def main():
    extra = [pathlib.Path(a) for a in sys.argv[1:]]
    parse_seeds(extra)
    filter_seeds()
    query_seeds()
    date_seeds(extra)
    config_seeds()
    tagger_seeds()
    for d in sorted(SEEDS.iterdir()):
        print(d.name, len(list(d.iterdir())))


if __name__ == "__main__":
    main()

//! `quick_events_are_saphyrs`: whatever [`super::events`] reads, saphyr
//! reads without an error into the same events, values, styles and the
//! spans the typed reader looks at; on hand-written cases, every post file
//! in the repository, and generated and mutated documents.

use super::events;
use saphyr_parser::{Event, Parser, Span};

/// What the typed reader reads of an event and its span.
#[derive(Debug, PartialEq)]
enum Seen {
    Scalar(String, String, (usize, usize, usize), (usize, usize, usize)),
    Start(bool, (usize, usize, usize), (usize, usize, usize)),
    End(bool, Option<(usize, usize, usize)>),
    Other(String),
}

fn at(m: saphyr_parser::Marker) -> (usize, usize, usize) {
    (m.index(), m.line(), m.col())
}

fn project<'a>(events: impl Iterator<Item = (Event<'a>, Span)>) -> Vec<Seen> {
    let mut flows = Vec::new();
    let mut out = Vec::new();
    for (event, span) in events {
        out.push(match event {
            Event::Scalar(v, style, anchor, tag) => {
                let style = format!("{style:?} {anchor} {tag:?}");
                Seen::Scalar(v.into_owned(), style, at(span.start), at(span.end))
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                let flow = span.end.index() > span.start.index();
                flows.push(flow);
                let seq = matches!(event, Event::SequenceStart(..));
                Seen::Start(seq, at(span.start), at(span.end))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let flow = flows.pop().unwrap_or(false);
                let seq = matches!(event, Event::SequenceEnd);
                Seen::End(seq, flow.then(|| at(span.end)))
            }
            Event::Nothing => continue,
            other => Seen::Other(format!("{other:?}")),
        });
    }
    out
}

/// Checks `text`; true when the quick reader took it.
fn check(text: &str) -> bool {
    let Some(quick) = events(text) else {
        return false;
    };
    let mut theirs = Vec::new();
    for event in Parser::new_from_str(text) {
        match event {
            Ok(e) => theirs.push(e),
            Err(e) => panic!("quick read what saphyr refuses ({e}):\n{text}"),
        }
    }
    assert_eq!(
        project(quick.into_iter()),
        project(theirs.into_iter()),
        "events differ for:\n{text}"
    );
    true
}

#[test]
fn hand_written_cases() {
    let taken = [
        "publish_at: 2027-01-02T09:00:00+01:00\nmedia:\n  - src: /media/mug-desk.jpg\n    alt_text: \"A mug\"\n    user_tags: [{username: a.b, x: 0.5, y: 0.5}]\n  - /media/mug-hand.jpg\ncollaborators: [partner]   # c\nfirst_comment: '#ceramics'\n",
        "list:\n- a\n- b\nz: x\n",
        "a: [x]  \nb: [x] # c\nc: {k: v}   \nd: plain words   # comment\ne: \"q\\\"uo\\n\"  \nf: éàü ok\ng: [ \"a b\" , c ]\nh:   spaced\n",
        "type: story\npublish_at: 2027-01-08 09:00\nmedia: [/media/story-sale.jpg]",
        "# a comment\n\na: 'it''s'\nb: \"\\u00e9t\\u00E9\"\n\n# end\n",
        "a: [[x, y], {k: [1, 2]}, z,]\nb: {}\nc: []\n",
        "media:\n  - src: /a.jpg\n    user_tags:\n      - username: x\n        x: 0.1\n  - /b.jpg\nnext: 1\n",
        "k: https://example.com/a?b=c#frag\nj: a#b\n",
        "é: ü\nclé: [ça, va]\n",
        "a: \"s\\/l \\0 n\\r\\n t\\t q\\\" b\\\\\"\nb: \"\\u0000\\uFFFD\"\n",
    ];
    for text in taken {
        assert!(check(text), "not taken:\n{text}");
    }
    let left = [
        "caption: |\n  text\n",
        "a: &x 1\nb: *x\n",
        "a: !tag x\n",
        "a:\n",
        "a: b\n  c\n",
        "a: [x,\n  y]\n",
        "a:\tb\n",
        "a: b\r\n",
        "---\na: b\n",
        "? a\n: b\n",
        "\u{feff}a: b\n",
        "a: \"x\\ay\"\n",
        "a: b: c\n",
        "a: - b\n",
        "  a: b\n",
        "a: [x]#c\n",
        "a: [k: v]\n",
        "a: {k}\n",
        "a: \"\\ud800\"\n",
        "a: \"\\u+041\"\n",
        "a: b\u{85}c\n",
    ];
    for text in left {
        assert!(!check(text), "taken:\n{text}");
    }
}

#[test]
fn deep_nesting_is_left_to_saphyr() {
    let deep = format!("a: {}x{}\n", "[".repeat(100_000), "]".repeat(100_000));
    assert!(events(&deep).is_none());
    let ok = format!("a: {}x{}\n", "[".repeat(30), "]".repeat(30));
    assert!(check(&ok));
}

/// Every post file of the repository, its front matter or its YAML.
#[test]
fn the_repositorys_posts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (mut seen, mut taken) = (0, 0);
    let mut dirs = vec![root.join("example-content"), root.join("tests/fixtures")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let yaml = match path.extension().and_then(|e| e.to_str()) {
                Some("yaml" | "yml") => text.as_str(),
                Some("md") => match crate::content::frontmatter::split(&text) {
                    Ok(Some(split)) => split.yaml,
                    _ => continue,
                },
                _ => continue,
            };
            seen += 1;
            taken += usize::from(check(yaml));
        }
    }
    assert!(seen > 100 && taken * 2 > seen, "{taken} of {seen} taken");
}

/// A small deterministic generator (xorshift): the same documents on
/// every run, so a failure is reproducible from the printed text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const KEYS: &[&str] = &[
    "id", "media", "caption", "a", "x y", "k-1", "-k", "é", "src", "a[b]", "a,b",
];
const ODD_KEYS: &[&str] = &["a:b", "a #b", "k'", "k\"", "?k", "&k", "'k'", "[k]"];
const SCALARS: &[&str] = &[
    "word",
    "two words",
    "09:00",
    "2027-01-02 09:00",
    "https://x.y/z",
    "a#b",
    "-5",
    "0.5",
    "true",
    "'it''s'",
    "'x'",
    "\"a\\\"b\"",
    "\"\\u00e9\"",
    "\"t\\tn\"",
    "é ü",
    "a :b",
    "x,y",
    "'# c'",
    "\"\"",
    "''",
];
const ODD_SCALARS: &[&str] = &[
    "~", ":x", "?x", "-", "a]", "%x", "@x", "*x", "&x y", "!x", "|", ">",
];

impl Rng {
    /// Mostly from `usual`, now and then from `odd`.
    fn mostly<'a>(&mut self, usual: &[&'a str], odd: &[&'a str]) -> &'a str {
        if self.below(40) == 0 {
            self.pick(odd)
        } else {
            self.pick(usual)
        }
    }

    fn key(&mut self) -> &'static str {
        self.mostly(KEYS, ODD_KEYS)
    }

    fn scalar(&mut self) -> &'static str {
        self.mostly(SCALARS, ODD_SCALARS)
    }
}

fn flow(rng: &mut Rng, depth: u32) -> String {
    let n = rng.below(4);
    let map = rng.below(3) == 0;
    let mut s = String::from(if map { "{" } else { "[" });
    for i in 0..n {
        if i > 0 {
            s.push_str(rng.mostly(&[", ", ",", " , "], &[",  ,", ""]));
        } else {
            s.push_str(rng.pick(&["", " "]));
        }
        if map {
            s.push_str(rng.key());
            s.push_str(rng.mostly(&[": ", ":  "], &[":", " :"]));
        }
        if depth < 2 && rng.below(4) == 0 {
            s.push_str(&flow(rng, depth + 1));
        } else {
            s.push_str(rng.scalar());
        }
    }
    s.push_str(rng.pick(&["", " ", ","]));
    s.push_str(if map { "}" } else { "]" });
    s
}

fn value(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => flow(rng, 0),
        _ => rng.scalar().to_string(),
    }
}

fn tail(rng: &mut Rng) -> &'static str {
    rng.pick(&["", "", "", "  ", " # c", "# c", "   #c"])
}

/// A document of block mappings and sequences, mostly well formed.
fn document(rng: &mut Rng) -> String {
    let mut s = String::new();
    let mut indent = 0usize;
    for _ in 0..1 + rng.below(8) {
        let pad = " ".repeat(indent);
        match rng.below(10) {
            0 => s.push_str(rng.pick(&["\n", "# note\n", "  \n", "   # x\n"])),
            1..=2 => {
                // A key with a block value below it.
                s.push_str(&format!("{pad}{}:{}\n", rng.key(), tail(rng)));
                let deeper = indent + rng.below(4) as usize;
                let dash = " ".repeat(deeper);
                for _ in 0..1 + rng.below(3) {
                    if rng.below(2) == 0 {
                        s.push_str(&format!("{dash}- {}{}\n", value(rng), tail(rng)));
                    } else {
                        let inner = " ".repeat(deeper + 2);
                        s.push_str(&format!("{dash}- {}: {}\n", rng.key(), value(rng)));
                        s.push_str(&format!(
                            "{inner}{}: {}{}\n",
                            rng.key(),
                            value(rng),
                            tail(rng)
                        ));
                    }
                }
            }
            3 => indent = indent.saturating_sub(2),
            4 => indent += rng.pick(&["", "", "1", "2"]).parse::<usize>().unwrap_or(0),
            _ => {
                let key = rng.key();
                let sep = rng.mostly(&[": ", ":  ", ": "], &[":", " : "]);
                s.push_str(&format!("{pad}{key}{sep}{}{}\n", value(rng), tail(rng)));
            }
        }
    }
    s
}

/// Bytes a mutation may put in or take out.
const NOISE: &[&str] = &[
    " ", ":", "-", "#", "[", "]", "{", "}", ",", "'", "\"", "\\", "\n", "a", "é", "\t", "?", "&",
    "*", "|", ">", "!", "\r", "...", "---", "- ", ": ",
];

fn mutate(rng: &mut Rng, doc: &str) -> String {
    let mut s = doc.to_string();
    for _ in 0..1 + rng.below(3) {
        let mut at = rng.below(s.len() as u64 + 1) as usize;
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        if rng.below(2) == 0 {
            s.insert_str(at, rng.pick(NOISE));
        } else if let Some(c) = s[at..].chars().next() {
            s.replace_range(at..at + c.len_utf8(), "");
        }
    }
    s
}

#[test]
fn quick_events_are_saphyrs() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut taken, mut mutated_taken) = (0, 0);
    const N: usize = 20_000;
    for _ in 0..N {
        let doc = document(&mut rng);
        taken += usize::from(check(&doc));
        mutated_taken += usize::from(check(&mutate(&mut rng, &doc)));
    }
    // Not vacuous: most generated documents, and many mutated ones, are
    // read by the quick reader and so compared.
    assert!(taken > N / 4, "{taken} of {N} generated documents taken");
    assert!(
        mutated_taken > N / 10,
        "{mutated_taken} of {N} mutated documents taken"
    );
}

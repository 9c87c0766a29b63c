//! The HTML overview at `/`: latest entries, tag filter links, and an inline-SVG chart
//! of papers per month by condition. Server-rendered, no JavaScript, one inline style
//! sheet (allowed by its hash in the Content-Security-Policy, see [`style_hash`]), and
//! links to a work only when they are http(s).

use std::sync::LazyLock;

use sha2::Digest;

use crate::cli::stats::{CONDITIONS, condition_grid};
use crate::export::link::work_link;
use crate::store::{Counts, EntryDetail};

/// One colour per condition, in `CONDITIONS` order (Okabe–Ito, readable for colour-blind users).
const COLOURS: &[&str] = &[
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#666666",
];

pub struct Page<'a> {
    pub entries: &'a [EntryDetail],
    pub counts: &'a Counts,
    pub months: &'a [String],
    pub tag: Option<&'a str>,
}

pub fn page(p: &Page) -> String {
    let mut h = String::new();
    let title = match p.tag {
        Some(t) => format!("ketlit: {t}"),
        None => "ketlit: the ketamine literature".to_string(),
    };
    let feed = match p.tag {
        Some(t) => format!("/feeds/tag/{}.atom", url_segment(t)),
        None => "/feeds/all.atom".to_string(),
    };
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str(&format!("<title>{}</title>\n", esc(&title)));
    h.push_str(&format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{}\" href=\"{}\">\n",
        esc(&title),
        esc(&feed)
    ));
    h.push_str("<style>");
    h.push_str(&STYLE);
    h.push_str("</style>\n");
    h.push_str("</head>\n<body>\n");
    h.push_str(&format!(
        "<header><h1>{}</h1><p>{} entries stored · <a href=\"{}\">Atom feed of this page</a></p></header>\n",
        esc(&title),
        p.counts.total,
        esc(&feed)
    ));
    h.push_str("<form action=\"/feeds/search.atom\" method=\"get\"><label>Search feed: <input name=\"q\" placeholder=\"esketamine suicidal\"></label> <button>Atom</button></form>\n");
    tags(&mut h, p);
    chart(&mut h, p);
    h.push_str(&format!(
        "<h2>Latest{}</h2>\n<ol class=\"entries\">\n",
        p.tag
            .map(|t| format!(" tagged {}", esc(t)))
            .unwrap_or_default()
    ));
    for d in p.entries {
        entry(&mut h, d);
    }
    if p.entries.is_empty() {
        h.push_str("<li>No entries.</li>\n");
    }
    h.push_str("</ol>\n</body>\n</html>\n");
    h
}

fn tags(h: &mut String, p: &Page) {
    h.push_str("<nav class=\"tags\"><a href=\"/\">all</a>");
    for (tag, n) in &p.counts.by_tag {
        let class = if Some(tag.as_str()) == p.tag {
            " class=\"on\""
        } else {
            ""
        };
        h.push_str(&format!(
            " <a{class} href=\"/?tag={}\">{}</a>&nbsp;<small>{n}</small> <a class=\"feed\" href=\"/feeds/tag/{}.atom\" title=\"Atom feed\">⌁</a>",
            url_query(tag),
            esc(tag),
            url_segment(tag)
        ));
    }
    h.push_str("</nav>\n");
}

/// Stacked bars, one per month, one colour per condition.
fn chart(h: &mut String, p: &Page) {
    let grid = condition_grid(p.counts, p.months);
    let max = grid
        .iter()
        .map(|r| r.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (bw, gap, height, top, left) = (36.0, 8.0, 160.0, 10.0, 30.0);
    let width = left + p.months.len() as f64 * (bw + gap);
    h.push_str("<h2>Papers per month by condition</h2>\n<p class=\"note\">Last 24 months, by publication date; a paper studying two conditions counts in both.</p>\n");
    h.push_str(&format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"Papers per month by condition\" viewBox=\"0 0 {width} {}\" width=\"{width}\" height=\"{}\">\n",
        height + top + 60.0,
        height + top + 60.0
    ));
    h.push_str(&format!(
        "<text x=\"0\" y=\"{}\" class=\"axis\">{max}</text><text x=\"0\" y=\"{}\" class=\"axis\">0</text>\n",
        top + 10.0,
        top + height
    ));
    for (i, (m, row)) in p.months.iter().zip(&grid).enumerate() {
        let x = left + i as f64 * (bw + gap);
        let mut y = top + height;
        for (j, &n) in row.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let bh = n as f64 / max as f64 * height;
            y -= bh;
            h.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y:.1}\" width=\"{bw}\" height=\"{bh:.1}\" fill=\"{}\"><title>{m} {}: {n}</title></rect>\n",
                COLOURS[j % COLOURS.len()],
                CONDITIONS[j].0
            ));
        }
        h.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" class=\"month\" transform=\"rotate(45 {} {})\">{}</text>\n",
            x + 4.0,
            top + height + 14.0,
            x + 4.0,
            top + height + 14.0,
            esc(m)
        ));
    }
    h.push_str("</svg>\n<p class=\"legend\">");
    for (j, (tag, _)) in CONDITIONS.iter().enumerate() {
        h.push_str(&format!(
            "<span><i class=\"c{}\"></i>{}</span> ",
            j % COLOURS.len(),
            esc(tag)
        ));
    }
    h.push_str("</p>\n");
}

fn entry(h: &mut String, d: &EntryDetail) {
    let s = &d.summary;
    let href = work_link(s.link.as_deref(), s.doi.as_deref());
    h.push_str("<li>");
    match href {
        Some(u) => h.push_str(&format!(
            "<a class=\"title\" href=\"{}\">{}</a>",
            esc(&u),
            esc(&s.title)
        )),
        None => h.push_str(&format!("<span class=\"title\">{}</span>", esc(&s.title))),
    }
    let mut meta = Vec::new();
    if let Some(p) = s.published {
        meta.push(p.format("%Y-%m-%d").to_string());
    }
    if let Some(j) = &s.journal {
        meta.push(esc(j));
    }
    if !d.authors.is_empty() {
        let mut a = d
            .authors
            .iter()
            .take(3)
            .map(|x| esc(x))
            .collect::<Vec<_>>()
            .join(", ");
        if d.authors.len() > 3 {
            a.push_str(" et al.");
        }
        meta.push(a);
    }
    if let Some(x) = &s.doi {
        meta.push(format!("doi:{}", esc(x)));
    }
    meta.push(format!("#{}", s.id));
    h.push_str(&format!("<div class=\"meta\">{}</div>", meta.join(" · ")));
    if !s.tags.is_empty() {
        h.push_str("<div class=\"etags\">");
        for t in &s.tags {
            h.push_str(&format!(
                "<a href=\"/?tag={}\">{}</a> ",
                url_query(t),
                esc(t)
            ));
        }
        h.push_str("</div>");
    }
    h.push_str("</li>\n");
}

/// Percent-encodes a tag for a path segment (`type:rct` stays readable, spaces do not).
pub fn url_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
        .replace("%3A", ":")
}

fn url_query(s: &str) -> String {
    esc(&url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>())
}

/// The page's style sheet: the rules below and a background class per chart colour
/// (a `style` attribute would need `'unsafe-inline'`).
static STYLE: LazyLock<String> = LazyLock::new(|| {
    let mut css = String::from(RULES);
    for (j, c) in COLOURS.iter().enumerate() {
        css.push_str(&format!(".c{j}{{background:{c}}}"));
    }
    css.push('\n');
    css
});

/// `'sha256-…'`: the CSP source that allows exactly [`STYLE`].
pub fn style_hash() -> &'static str {
    static HASH: LazyLock<String> = LazyLock::new(|| {
        use base64::Engine;
        let digest = sha2::Sha256::digest(STYLE.as_bytes());
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    });
    &HASH
}

/// Escapes text for HTML content and attributes, dropping characters XML 1.0 forbids
/// (stray control bytes from a feed).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

const RULES: &str = "
body{font:15px/1.45 system-ui,sans-serif;max-width:1150px;margin:1em auto;padding:0 1em;color:#222}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin-top:1.4em}
nav.tags a{margin-right:.1em}nav.tags a.on{font-weight:bold}nav.tags a.feed{color:#c60;text-decoration:none}
.entries li{margin:.6em 0}.title{font-weight:600}.meta{color:#555;font-size:.9em}
.etags a{font-size:.8em;background:#eef;border-radius:3px;padding:0 .3em;margin-right:.2em;text-decoration:none}
svg.chart .axis,svg.chart .month{font-size:10px;fill:#555}
.note{color:#555;font-size:.9em;margin:0}.legend span{margin-right:1em;font-size:.9em}.legend i{display:inline-block;width:.8em;height:.8em;margin-right:.3em}
";

//! Configuration: the TOML schema, its precedence (flag > env > XDG file > built-in
//! defaults compiled from `feeds/*.toml`), and validation with file/line/key errors.

mod paths;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::fetch::HttpSettings;
use crate::model::Kind;

pub use paths::{default_config_path, default_db_path};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The most `lookback_days` may say: older than a century is a typo.
pub const MAX_LOOKBACK_DAYS: u32 = 36_500;

/// How far back an API feed's first run looks, unless its `lookback_days` says.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 30;

/// Where the built-in defaults are said to come from in messages.
pub const BUILTIN_ORIGIN: &str = "built-in defaults";

/// A config problem, displayed as one line naming the file, line and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    #[error("{file}: line {line}, column {column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: line {line}: key `{key}`: {message}")]
    Key {
        file: String,
        line: usize,
        key: String,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub user_agent: String,
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    pub max_body_bytes: u64,
    pub concurrency: usize,
    pub per_host_interval_ms: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            user_agent: format!(
                "ketlit/{} (+https://github.com/ketlit/ketlit)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout_secs: 30,
            connect_timeout_secs: 10,
            max_body_bytes: 20_000_000,
            concurrency: 8,
            per_host_interval_ms: 350,
        }
    }
}

impl HttpConfig {
    pub fn settings(&self) -> HttpSettings {
        HttpSettings {
            user_agent: self.user_agent.clone(),
            timeout: Duration::from_secs(self.timeout_secs),
            connect_timeout: Duration::from_secs(self.connect_timeout_secs),
            max_body_bytes: self.max_body_bytes,
            per_host_interval: Duration::from_millis(self.per_host_interval_ms),
            max_redirects: 5,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    pub default: String,
    pub tick: String,
    /// The first wait after a failure; it doubles with each further failure (24 h cap).
    pub error_backoff_secs: u64,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            default: "0 0 * * * *".into(),
            tick: "0 * * * * *".into(),
            error_backoff_secs: 300,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PubmedConfig {
    pub tool: String,
    pub email: Option<String>,
    pub api_key: Option<String>,
}

impl Default for PubmedConfig {
    fn default() -> Self {
        PubmedConfig {
            tool: "ketlit".into(),
            email: None,
            api_key: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// How long SIGINT/SIGTERM waits for feeds in flight before abandoning them.
    pub shutdown_grace_secs: u64,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            shutdown_grace_secs: 10,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TaggingConfig {
    pub rules: Option<PathBuf>,
}

/// One feed as the pipeline sees it: validated, with its schedule resolved.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub name: String,
    pub url: String,
    pub kind: Kind,
    pub schedule: String,
    pub filter: Option<crate::relevance::Filter>,
    pub enabled: bool,
    /// API kinds: how far back the first run looks.
    pub lookback_days: u32,
    /// Store only entries the tagger judges relevant: a ketamine-class drug studied,
    /// not merely mentioned.
    pub relevant_only: bool,
    /// The file that defined it, for messages.
    pub origin: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub http: HttpConfig,
    pub schedule: ScheduleConfig,
    pub pubmed: PubmedConfig,
    pub tagging: TaggingConfig,
    pub daemon: DaemonConfig,
    pub feeds: Vec<FeedConfig>,
    /// The user's config file, or [`BUILTIN_ORIGIN`].
    pub origin: String,
}

// ---- the file format -------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    http: Option<RawHttp>,
    schedule: Option<RawSchedule>,
    pubmed: Option<RawPubmed>,
    tagging: Option<RawTagging>,
    daemon: Option<RawDaemon>,
    include_builtin_feeds: Option<bool>,
    #[serde(default)]
    feed: Vec<RawFeed>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    user_agent: Option<Spanned<String>>,
    timeout_secs: Option<Spanned<u64>>,
    connect_timeout_secs: Option<Spanned<u64>>,
    max_body_bytes: Option<Spanned<u64>>,
    concurrency: Option<Spanned<usize>>,
    per_host_interval_ms: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    default: Option<Spanned<String>>,
    tick: Option<Spanned<String>>,
    error_backoff_secs: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPubmed {
    tool: Option<String>,
    email: Option<String>,
    api_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDaemon {
    shutdown_grace_secs: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTagging {
    rules: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    name: Spanned<String>,
    url: Spanned<String>,
    kind: Option<Spanned<String>>,
    schedule: Option<Spanned<String>>,
    filter: Option<Spanned<String>>,
    enabled: Option<bool>,
    lookback_days: Option<Spanned<u32>>,
    relevant_only: Option<bool>,
}

/// The source text of one config file, for turning byte spans into lines.
struct Source<'a> {
    file: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
        (line, column)
    }

    fn key_error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Key {
            file: self.file.to_string(),
            line: self.line_col(span.start).0,
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn parse(&self) -> Result<RawFile, ConfigError> {
        toml::from_str(self.text).map_err(|e| {
            let message = e.message().trim().replace(['\n', '\r'], " ");
            let Some(span) = e.span() else {
                return ConfigError::Syntax {
                    file: self.file.to_string(),
                    line: 1,
                    column: 1,
                    message,
                };
            };
            let (line, column) = self.line_col(span.start);
            match self.key_on_line(line) {
                Some(key) => ConfigError::Key {
                    file: self.file.to_string(),
                    line,
                    key,
                    message,
                },
                None => ConfigError::Syntax {
                    file: self.file.to_string(),
                    line,
                    column,
                    message,
                },
            }
        })
    }

    /// The `key` of a `key = value` line, so type errors name the key they concern.
    fn key_on_line(&self, line: usize) -> Option<String> {
        let text = self.text.lines().nth(line - 1)?;
        let (key, _) = text.split_once('=')?;
        let key = key.trim().trim_matches('"');
        // A lone CR is not a line break for `lines()`; a key with controls is no key.
        let plain = !key.contains(char::is_control);
        (plain && !key.is_empty() && !key.starts_with('[') && !key.starts_with('#'))
            .then(|| key.to_string())
    }
}

fn parse_cron(src: &Source, s: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
    crate::schedule::parse_cron(s.get_ref()).map_err(|e| {
        src.key_error(
            s.span(),
            key,
            format!("bad cron expression {:?}: {e}", s.get_ref()),
        )
    })?;
    Ok(s.get_ref().clone())
}

fn positive<T: PartialEq + Default + Copy>(
    src: &Source,
    v: &Spanned<T>,
    key: &str,
) -> Result<T, ConfigError> {
    if *v.get_ref() == T::default() {
        return Err(src.key_error(v.span(), key, "must be greater than 0"));
    }
    Ok(*v.get_ref())
}

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// A time setting from 1 to `max`: larger ones are typos, and would overflow the
/// clock arithmetic they feed.
fn at_most(src: &Source, v: &Spanned<u64>, key: &str, max: u64) -> Result<u64, ConfigError> {
    positive(src, v, key)?;
    at_most_or_zero(src, v, key, max)
}

/// A time setting from 0 to `max`.
fn at_most_or_zero(
    src: &Source,
    v: &Spanned<u64>,
    key: &str,
    max: u64,
) -> Result<u64, ConfigError> {
    if *v.get_ref() > max {
        return Err(src.key_error(v.span(), key, format!("must be at most {max}")));
    }
    Ok(*v.get_ref())
}

/// Applies one parsed file's settings over `cfg`; returns its feeds (not yet resolved).
fn apply(src: &Source, raw: RawFile, cfg: &mut Config) -> Result<Vec<FeedConfig>, ConfigError> {
    if let Some(h) = raw.http {
        if let Some(v) = h.user_agent {
            if v.get_ref().trim().is_empty() {
                return Err(src.key_error(v.span(), "user_agent", "must not be empty"));
            }
            cfg.http.user_agent = v.into_inner();
        }
        if let Some(v) = h.timeout_secs {
            cfg.http.timeout_secs = at_most(src, &v, "timeout_secs", HOUR)?;
        }
        if let Some(v) = h.connect_timeout_secs {
            cfg.http.connect_timeout_secs = at_most(src, &v, "connect_timeout_secs", HOUR)?;
        }
        if let Some(v) = h.max_body_bytes {
            cfg.http.max_body_bytes = positive(src, &v, "max_body_bytes")?;
        }
        if let Some(v) = h.concurrency {
            cfg.http.concurrency = positive(src, &v, "concurrency")?;
        }
        if let Some(v) = h.per_host_interval_ms {
            cfg.http.per_host_interval_ms =
                at_most_or_zero(src, &v, "per_host_interval_ms", HOUR * 1000)?;
        }
    }
    if let Some(s) = raw.schedule {
        if let Some(v) = s.default {
            cfg.schedule.default = parse_cron(src, &v, "default")?;
        }
        if let Some(v) = s.tick {
            cfg.schedule.tick = parse_cron(src, &v, "tick")?;
        }
        if let Some(v) = s.error_backoff_secs {
            cfg.schedule.error_backoff_secs = at_most(src, &v, "error_backoff_secs", DAY)?;
        }
    }
    if let Some(p) = raw.pubmed {
        if let Some(v) = p.tool {
            cfg.pubmed.tool = v;
        }
        cfg.pubmed.email = p.email.or(cfg.pubmed.email.take());
        cfg.pubmed.api_key = p.api_key.or(cfg.pubmed.api_key.take());
    }
    if let Some(d) = raw.daemon
        && let Some(v) = d.shutdown_grace_secs
    {
        cfg.daemon.shutdown_grace_secs = at_most_or_zero(src, &v, "shutdown_grace_secs", HOUR)?;
    }
    if let Some(t) = raw.tagging {
        cfg.tagging.rules = t.rules.map(|r| expand_home(&r));
    }
    let mut seen: Vec<&str> = Vec::new();
    for f in &raw.feed {
        let name = f.name.get_ref().as_str();
        if seen.contains(&name) {
            return Err(src.key_error(
                f.name.span(),
                "name",
                format!("feed name {name:?} is defined twice in this file"),
            ));
        }
        seen.push(name);
    }
    raw.feed.into_iter().map(|f| feed(src, f)).collect()
}

fn feed(src: &Source, f: RawFeed) -> Result<FeedConfig, ConfigError> {
    let name = f.name.get_ref();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(src.key_error(
            f.name.span(),
            "name",
            format!("feed name {name:?} must be non-empty and use only a-z, 0-9 and -"),
        ));
    }
    let url = f.url.get_ref();
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        Ok(u) => {
            return Err(src.key_error(
                f.url.span(),
                "url",
                format!("feed {name}: scheme {:?} is not http or https", u.scheme()),
            ));
        }
        Err(e) => {
            return Err(src.key_error(
                f.url.span(),
                "url",
                format!("feed {name}: {url:?} is not a URL: {e}"),
            ));
        }
    }
    let kind = match &f.kind {
        None => Kind::Auto,
        Some(k) => Kind::parse(k.get_ref()).ok_or_else(|| {
            let known: Vec<_> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            src.key_error(
                k.span(),
                "kind",
                format!(
                    "feed {name}: unknown kind {:?} (expected one of {})",
                    k.get_ref(),
                    known.join(", ")
                ),
            )
        })?,
    };
    let schedule = match &f.schedule {
        None => String::new(), // resolved against [schedule].default once all files are read
        Some(s) => parse_cron(src, s, "schedule")?,
    };
    let filter = match &f.filter {
        None => None,
        Some(s) => {
            let parsed = crate::relevance::Filter::parse(s.get_ref()).map_err(|e| {
                src.key_error(s.span(), "filter", format!("feed {name}: bad filter: {e}"))
            })?;
            Some(parsed)
        }
    };
    Ok(FeedConfig {
        name: name.clone(),
        url: url.clone(),
        kind,
        schedule,
        filter,
        enabled: f.enabled.unwrap_or(true),
        relevant_only: f.relevant_only.unwrap_or(false),
        lookback_days: match &f.lookback_days {
            Some(v) if *v.get_ref() > MAX_LOOKBACK_DAYS => {
                return Err(src.key_error(
                    v.span(),
                    "lookback_days",
                    format!("must be at most {MAX_LOOKBACK_DAYS} (a century)"),
                ));
            }
            Some(v) => positive(src, v, "lookback_days")?,
            None => DEFAULT_LOOKBACK_DAYS,
        },
        origin: src.file.to_string(),
    })
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// Puts each of `more` into `feeds`, replacing a feed of the same name.
fn merge_feeds(feeds: &mut Vec<FeedConfig>, more: Vec<FeedConfig>) {
    for f in more {
        match feeds.iter().position(|g| g.name == f.name) {
            Some(i) => feeds[i] = f,
            None => feeds.push(f),
        }
    }
}

impl Config {
    /// The built-in defaults: compiled-in settings and the feeds in `feeds/*.toml`.
    pub fn builtin() -> Result<Config, ConfigError> {
        let mut cfg = Config {
            http: HttpConfig::default(),
            schedule: ScheduleConfig::default(),
            pubmed: PubmedConfig::default(),
            tagging: TaggingConfig::default(),
            daemon: DaemonConfig::default(),
            feeds: Vec::new(),
            origin: BUILTIN_ORIGIN.into(),
        };
        for (file, text) in BUILTIN_FEEDS {
            if file.ends_with("/conditions.toml") {
                continue;
            }
            let src = Source { file, text };
            let raw = src.parse()?;
            for f in apply(&src, raw, &mut cfg)? {
                if let Some(other) = cfg.feeds.iter().find(|g| g.name == f.name) {
                    return Err(ConfigError::Io {
                        file: file.to_string(),
                        message: format!(
                            "feed name {:?} is also defined in {}",
                            f.name, other.origin
                        ),
                    });
                }
                cfg.feeds.push(f);
            }
        }
        cfg.finish();
        Ok(cfg)
    }

    /// Reads `path` over the built-in defaults.
    pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            file: file.clone(),
            message: e.to_string(),
        })?;
        Config::from_str_with_origin(&text, &file)
    }

    /// Parses a config text over the built-in defaults; `file` names it in errors.
    pub fn from_str_with_origin(text: &str, file: &str) -> Result<Config, ConfigError> {
        let mut cfg = Config::builtin()?;
        let src = Source { file, text };
        let raw = src.parse()?;
        let include_builtin = raw.include_builtin_feeds.unwrap_or(true);
        let feeds = apply(&src, raw, &mut cfg)?;
        if !include_builtin {
            cfg.feeds.clear();
        }
        merge_feeds(&mut cfg.feeds, feeds);
        cfg.origin = file.to_string();
        cfg.finish();
        Ok(cfg)
    }

    /// Resolves the config by precedence: `--config`, then `KETLIT_CONFIG`, then the
    /// XDG file if it exists, then the built-in defaults.
    pub fn load(flag: Option<&Path>) -> Result<Config, ConfigError> {
        if let Some(p) = flag {
            return Config::load_file(p);
        }
        if let Some(p) = std::env::var_os("KETLIT_CONFIG").filter(|p| !p.is_empty()) {
            return Config::load_file(Path::new(&p));
        }
        match default_config_path() {
            Some(p) if p.exists() => Config::load_file(&p),
            _ => Config::builtin(),
        }
    }

    fn finish(&mut self) {
        if self.pubmed.api_key.is_none() {
            self.pubmed.api_key = std::env::var("NCBI_API_KEY").ok().filter(|k| !k.is_empty());
        }
        for f in &mut self.feeds {
            if f.schedule.is_empty() {
                f.schedule = self.schedule.default.clone();
            }
        }
    }

    /// The tagger: the shipped rules, extended or overridden by `[tagging] rules`.
    pub fn tagger(&self) -> Result<crate::tag::Tagger, ConfigError> {
        let tagger = crate::tag::Tagger::builtin();
        let Some(path) = &self.tagging.rules else {
            return Ok(tagger);
        };
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            file: file.clone(),
            message: format!("tagging rules: {e}"),
        })?;
        tagger
            .with_overrides(&text, &file)
            .map_err(|e| ConfigError::Key {
                file: e.origin,
                line: e.line,
                key: e.key,
                message: e.message,
            })
    }

    pub fn feed(&self, name: &str) -> Option<&FeedConfig> {
        self.feeds.iter().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests;

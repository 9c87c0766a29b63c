//! Config loading: defaults, precedence inside a file, and one-line errors.

use super::*;

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_str_with_origin(text, "my.toml")
}

fn err(text: &str) -> String {
    let e = load(text)
        .expect_err("config should be refused")
        .to_string();
    assert!(!e.contains('\n'), "one line: {e}");
    e
}

#[test]
fn builtin_defaults_load_and_validate() {
    let cfg = Config::builtin().unwrap();
    assert!(cfg.feeds.len() >= 10, "{} feeds", cfg.feeds.len());
    for f in &cfg.feeds {
        assert!(f.enabled);
        assert!(
            crate::schedule::parse_cron(&f.schedule).is_ok(),
            "{}",
            f.name
        );
        assert!(f.origin.starts_with("feeds/"));
    }
    assert_eq!(cfg.http.concurrency, 8);
    assert_eq!(cfg.schedule.default, "0 0 * * * *");
}

#[test]
fn user_settings_override_defaults_and_feeds_add_or_replace() {
    let cfg = load(
        r#"
[http]
user_agent = "ketlit-test/1 (mailto:me@example.org)"
timeout_secs = 5
concurrency = 2

[schedule]
default = "0 30 * * * *"

[[feed]]
name = "jama-psychiatry"
url = "https://example.org/jama.xml"
enabled = false

[[feed]]
name = "mine"
url = "http://127.0.0.1:8080/feed.xml"
kind = "atom"
"#,
    )
    .unwrap();
    assert_eq!(cfg.http.timeout_secs, 5);
    assert_eq!(cfg.http.concurrency, 2);
    let jama = cfg.feed("jama-psychiatry").unwrap();
    assert_eq!(jama.url, "https://example.org/jama.xml");
    assert!(!jama.enabled);
    let mine = cfg.feed("mine").unwrap();
    assert_eq!(mine.kind, Kind::Atom);
    assert_eq!(
        mine.schedule, "0 30 * * * *",
        "feeds without a schedule take [schedule].default"
    );
    assert_eq!(cfg.origin, "my.toml");
}

#[test]
fn include_builtin_feeds_false_keeps_only_the_users() {
    let cfg =
        load("include_builtin_feeds = false\n[[feed]]\nname = \"a\"\nurl = \"https://x.org/a\"\n")
            .unwrap();
    assert_eq!(cfg.feeds.len(), 1);
}

#[test]
fn unknown_kind_names_file_line_and_key() {
    let e = err("[[feed]]\nname = \"a\"\nurl = \"https://x.org/a\"\nkind = \"podcast\"\n");
    assert!(e.starts_with("my.toml: line 4: key `kind`:"), "{e}");
    assert!(e.contains("unknown kind \"podcast\""), "{e}");
}

#[test]
fn bad_cron_names_file_line_and_key() {
    let e = err("\n[[feed]]\nname = \"a\"\nurl = \"https://x.org/a\"\nschedule = \"every hour\"\n");
    assert!(
        e.starts_with("my.toml: line 5: key `schedule`: bad cron expression"),
        "{e}"
    );
    let e = err("[schedule]\ntick = \"0 * * * *\"\n");
    assert!(e.starts_with("my.toml: line 2: key `tick`:"), "{e}");
    assert!(e.contains("6 fields"), "{e}");
}

#[test]
fn unknown_key_and_wrong_type_are_refused_with_their_line() {
    let e = err("[http]\ntimeout_secs = 5\nuser_agnet = \"x\"\n");
    assert!(e.starts_with("my.toml: line 3: key `user_agnet`:"), "{e}");
    assert!(e.contains("unknown field"), "{e}");
    let e = err("[http]\ntimeout_secs = \"soon\"\n");
    assert!(e.starts_with("my.toml: line 2: key `timeout_secs`:"), "{e}");
    let e = err("[http]\nconcurrency = 0\n");
    assert!(
        e.starts_with("my.toml: line 2: key `concurrency`: must be greater than 0"),
        "{e}"
    );
}

#[test]
fn time_settings_too_large_for_the_clock_are_refused_with_their_line() {
    for (text, key) in [
        ("[http]\ntimeout_secs = 99999999999\n", "timeout_secs"),
        (
            "[http]\nper_host_interval_ms = 18446744073709551615\n",
            "per_host_interval_ms",
        ),
        (
            "[schedule]\nerror_backoff_secs = 9999999999\n",
            "error_backoff_secs",
        ),
        (
            "[daemon]\nshutdown_grace_secs = 99999999999\n",
            "shutdown_grace_secs",
        ),
    ] {
        let e = err(text);
        assert!(
            e.starts_with(&format!("my.toml: line 2: key `{key}`: must be at most")),
            "{e}"
        );
    }
    let e = err(
        "[[feed]]\nname = \"a\"\nurl = \"https://x.org/f\"\nkind = \"pubmed\"\nlookback_days = 4000000000\n",
    );
    assert!(
        e.starts_with("my.toml: line 5: key `lookback_days`: must be at most 36500"),
        "{e}"
    );
}

#[test]
fn syntax_errors_name_line_and_column() {
    let e = err("[http\n");
    assert!(e.starts_with("my.toml: line 1"), "{e}");
}

#[test]
fn feed_names_urls_and_duplicates_are_checked() {
    let e = err("[[feed]]\nname = \"Bad Name\"\nurl = \"https://x.org\"\n");
    assert!(e.starts_with("my.toml: line 2: key `name`:"), "{e}");
    let e = err("[[feed]]\nname = \"a\"\nurl = \"ftp://x.org/f\"\n");
    assert!(e.starts_with("my.toml: line 3: key `url`:"), "{e}");
    assert!(e.contains("not http or https"), "{e}");
    let e = err("[[feed]]\nname = \"a\"\nurl = \"not a url\"\n");
    assert!(e.contains("key `url`"), "{e}");
    let e = err(
        "[[feed]]\nname = \"a\"\nurl = \"https://x.org/1\"\n[[feed]]\nname = \"a\"\nurl = \"https://x.org/2\"\n",
    );
    assert!(e.starts_with("my.toml: line 5: key `name`:"), "{e}");
    assert!(e.contains("defined twice"), "{e}");
    let e = err("[[feed]]\nname = \"a\"\n");
    assert!(e.contains("url"), "{e}");
}

#[test]
fn missing_file_is_a_one_line_error() {
    let e = Config::load_file(Path::new("/nonexistent/ketlit.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("/nonexistent/ketlit.toml: "), "{e}");
}

#[test]
fn config_error_with_a_cr_in_a_key_is_one_line() {
    // Found by the config fuzz target: a lone CR is no line break for `lines()`, so it
    // reached the message inside the key's name.
    let text = "[[feed]]\nname = \"x\"\nkind\r\r\rgov = 1 x\n";
    let err = Config::from_str_with_origin(text, "c.toml").unwrap_err();
    let msg = err.to_string();
    assert!(!msg.contains(['\n', '\r']), "{msg:?}");
    assert!(msg.starts_with("c.toml: line 3"), "{msg}");
}

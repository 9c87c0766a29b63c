//! XDG locations of the database and the config file.

use std::path::PathBuf;

fn xdg(var: &str, fallback: &str) -> Option<PathBuf> {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(v) => Some(PathBuf::from(v)),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)),
    }
}

/// `$XDG_DATA_HOME/ketlit/ketlit.db`, else `~/.local/share/ketlit/ketlit.db`.
pub fn default_db_path() -> Option<PathBuf> {
    xdg("XDG_DATA_HOME", ".local/share").map(|d| d.join("ketlit").join("ketlit.db"))
}

/// `$XDG_CONFIG_HOME/ketlit/config.toml`, else `~/.config/ketlit/config.toml`.
pub fn default_config_path() -> Option<PathBuf> {
    xdg("XDG_CONFIG_HOME", ".config").map(|d| d.join("ketlit").join("config.toml"))
}

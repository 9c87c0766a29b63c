//! Embeds the default feed definitions (`feeds/*.toml`) and the SQL migrations
//! (`migrations/*.sql`) so the binary needs no files beside it.

use std::{env, fs, path::Path};

fn embed(dir: &str, ext: &str, konst: &str, out: &mut String) {
    println!("cargo:rerun-if-changed={dir}");
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join(dir);
    let mut files: Vec<_> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("reading {}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    out.push_str(&format!("pub const {konst}: &[(&str, &str)] = &[\n"));
    for p in files {
        println!("cargo:rerun-if-changed={}", p.display());
        let name = p.file_name().unwrap().to_string_lossy();
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            format!("{dir}/{name}"),
            p.display().to_string()
        ));
    }
    out.push_str("];\n");
}

fn main() {
    let mut out = String::new();
    embed("feeds", "toml", "BUILTIN_FEEDS", &mut out);
    embed("migrations", "sql", "MIGRATIONS", &mut out);
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("embedded.rs");
    fs::write(dest, out).unwrap();
}

#!/bin/sh
# Shrinks fuzz/corpus/<target> (all targets, or those named) to the committed size:
# libFuzzer's merge on edge coverage alone (-use_counters=0), so one input per new
# edge, smallest first. parse_document keeps inputs up to 16 KiB, plus the grown
# >64 KiB seeds (UTF-8 straddling byte 65,536, and UTF-16) from fuzz/seeds
# (python3 fuzz/make_seeds.py), which must stay.
# Run from the repository root after `cargo +nightly fuzz build -s none -a`.
set -eu
bin=fuzz/target/x86_64-unknown-linux-gnu/release
targets=${*:-"parse_document relevance_filter search_query dates config tagger"}
for t in $targets; do
    tmp=$(mktemp -d)
    mkdir "$tmp/in" "$tmp/out"
    if [ "$t" = parse_document ]; then
        find "fuzz/corpus/$t" -type f -size -16k -exec cp {} "$tmp/in/" \;
    else
        cp "fuzz/corpus/$t"/* "$tmp/in/"
    fi
    "$bin/$t" -merge=1 -use_counters=0 -rss_limit_mb=2048 -timeout=10 "$tmp/out" "$tmp/in" \
        2>"$tmp/log" || { tail -20 "$tmp/log"; exit 1; }
    if [ "$t" = parse_document ] && [ -d fuzz/seeds/parse_document ]; then
        cp fuzz/seeds/parse_document/*-grown-straddle-* fuzz/seeds/parse_document/*-grown-utf16-* "$tmp/out/"
    fi
    rm -rf "fuzz/corpus/$t"
    mv "$tmp/out" "fuzz/corpus/$t"
    rm -rf "$tmp"
    echo "$t: $(ls "fuzz/corpus/$t" | wc -l) files, $(du -sh "fuzz/corpus/$t" | cut -f1)"
done

//! Feed parsing: sniff the format, then run exactly one parser into `RawEntry` values.

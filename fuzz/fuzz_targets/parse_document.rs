#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ketlit::fuzzing::parse_document(data));

//! Feeds arbitrary bytes to the GeoJSON jurisdiction importer's pure half
//! (`gridloop::domain::places::parse_import`) and checks every answer against the promises in
//! `tests/helpers/geojson_check.rs`, the same checks the stable tests run
//! (`tests/geojson_import_fuzz.rs`).
//!
//! ```sh
//! cargo +nightly fuzz run geojson_import fuzz/corpus/geojson_import fuzz/seeds/geojson_import
//! ```
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/helpers/geojson_check.rs"]
mod geojson_check;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = geojson_check::parse_checked(text);
    }
});

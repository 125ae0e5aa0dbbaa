//! The committed SDL must match the code's schema; regenerate with
//! `cargo run -- export-schema > schema/schema.graphql`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/schema.graphql"
    ))
    .expect("schema/schema.graphql exists");
    let current = gridloop::graphql::sdl();
    assert!(
        committed == current,
        "schema/schema.graphql is stale: run `cargo run -- export-schema > schema/schema.graphql`"
    );
}

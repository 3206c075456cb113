//! Builds with a single backend feature: the others are reported as not compiled in.
//!
//! The full test command runs this file with `--no-default-features --features smol`; under
//! `--all-features` it holds no test.
#![cfg(all(feature = "smol", not(feature = "tokio"), not(feature = "async-std")))]

use anyio::{current_backend, try_run_with, Backend};

#[test]
fn only_smol_is_available() {
    assert_eq!(
        Backend::available().collect::<Vec<_>>(),
        vec![Backend::Smol]
    );
    assert_eq!(anyio::run(async { current_backend() }), Some(Backend::Smol));
}

#[test]
fn asking_for_tokio_names_the_missing_feature() {
    let error = try_run_with(Backend::Tokio, async {}).unwrap_err();
    assert_eq!(error.backend, Backend::Tokio);
    assert_eq!(
        error.to_string(),
        "the tokio backend is not compiled in: enable it with `anyio = { features = [\"tokio\"] }` in Cargo.toml"
    );
}

#[test]
#[should_panic(expected = "the async-std backend is not compiled in")]
fn run_with_a_missing_backend_panics_with_the_same_message() {
    anyio::run_with(Backend::AsyncStd, async {});
}

#[anyio::test]
async fn the_test_macro_generates_only_the_compiled_backend() {
    assert_eq!(current_backend(), Some(Backend::Smol));
}

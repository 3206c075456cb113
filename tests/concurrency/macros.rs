//! `#[anyio::test]` and `#[anyio::main]`: one test per backend, options, time limits.

use anyio::{current_backend, Backend};

#[anyio::test(backends = "smol")]
async fn backends_option_narrows_the_set() {
    assert_eq!(current_backend(), Some(Backend::Smol));
}

#[anyio::test(backends = "tokio, async-std")]
async fn backends_option_takes_a_list() {
    let backend = current_backend().unwrap();
    assert!(
        matches!(backend, Backend::Tokio | Backend::AsyncStd),
        "{backend}"
    );
}

#[anyio::test]
async fn tests_may_return_results() -> Result<(), std::num::ParseIntError> {
    let number: u8 = "42".parse()?;
    assert_eq!(number, 42);
    Ok(())
}

#[anyio::test(timeout = "100ms")]
#[should_panic(expected = "did not finish within its time limit of 100ms")]
async fn a_hanging_test_fails_with_a_clear_message() {
    anyio::sleep_forever().await;
}

#[anyio::test]
#[should_panic(expected = "a test failure")]
async fn panics_reach_the_harness() {
    anyio::checkpoint().await;
    panic!("a test failure");
}

#[anyio::test(backends = "smol")]
#[should_panic(expected = "test returned an error: \"the reason\"")]
async fn failing_results_fail_the_test_with_the_error() -> Result<(), String> {
    Err("the reason".to_owned())
}

mod main_macro {
    #[anyio::main(backend = "async-std")]
    async fn entry() -> u8 {
        assert_eq!(anyio::current_backend(), Some(anyio::Backend::AsyncStd));
        5
    }

    #[test]
    fn main_runs_on_the_named_backend() {
        assert_eq!(entry(), 5);
    }
}

//! The probe library on async-std: the only line that names a backend is the one below.

fn main() {
    let up = anyio::run_with(anyio::Backend::AsyncStd, anyio_example_probe::demo());
    assert_eq!(up, 2, "the live listener answers by address and by name");
}

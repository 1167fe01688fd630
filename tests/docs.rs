//! The command-line examples of `docs/cli.md`, run from the markdown by
//! trycmd: each ```` ```console ```` block holds `$ gilfree ARGS` lines, each
//! followed by what it prints (standard output and error, in trycmd's
//! convention); `...` stands for any lines, `[..]` for any text within a
//! line, and `? N` is the exit code when it is not 0. A changed message,
//! flag or figure fails here until the page says the same;
//! `TRYCMD=overwrite cargo test --test docs` rewrites the page's outputs.

#[test]
fn every_example_of_the_cli_page_prints_what_the_page_says() {
    trycmd::TestCases::new()
        .register_bin(
            "gilfree",
            std::path::Path::new(env!("CARGO_BIN_EXE_gilfree")),
        )
        .case("docs/cli.md");
}

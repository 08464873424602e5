//! Keeps the overhead benchmark working: runs it tiny. It asserts what the harness
//! produces, never how fast anything is.

#[path = "../benches/overhead.rs"]
mod overhead;

#[test]
fn the_benchmark_harness_runs_every_case_and_writes_its_report() {
    let out = tempfile::tempdir().unwrap();
    let config = overhead::Config {
        scale: 0.001,
        runs: 1,
        out_dir: Some(out.path().into()),
    };
    let report = overhead::run(&config).unwrap();
    let names: Vec<&str> = report.cases.iter().map(|case| case.name).collect();
    assert_eq!(
        names,
        [
            "clock_loop",
            "random_loop",
            "wasi_call",
            "generic_call",
            "wasi_list",
            "generic_list",
            "stdin_copy",
            "compute",
            "http_many",
            "startup_cold",
            "startup_warm"
        ]
    );
    for case in &report.cases {
        assert!(
            case.medians.iter().all(|t| t.is_finite() && *t > 0.0),
            "{}",
            case.name
        );
        assert!(case.trace_events > 0, "{} recorded no events", case.name);
    }
    // 1,000 clock reads: at least one event each.
    assert!(report.case("clock_loop").unwrap().trace_events >= 1000);
    let zstd = report.zstd.as_ref().expect("the zstd measurement");
    assert!(zstd.trace_bytes > 0 && zstd.record_ratio > 0.0);
    let serve = &report.serve;
    assert!(serve.plain.throughput > 0.0 && serve.recorded.iter().all(|r| r.throughput > 0.0));
    let markdown = std::fs::read_to_string(out.path().join("benchmarks.md")).unwrap();
    assert!(markdown.contains("| recording (JSON) |"), "{markdown}");
    assert!(markdown.contains("| clock_loop |"), "{markdown}");
    assert!(markdown.contains("## Targets"), "{markdown}");
    let svg = std::fs::read_to_string(out.path().join("benchmarks.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("startup_warm"),
        "{svg}"
    );
}

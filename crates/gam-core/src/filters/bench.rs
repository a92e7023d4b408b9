//! Native timings for the filter kernels (`cargo test --release -- --ignored --nocapture
//! bench_`); printed, never asserted.

use std::time::Instant;

use crate::arrays::{into_row_major, view2};

use super::{gaussian::gaussian_filter, median::median_filter};

/// CPU seconds used by this thread (Linux; wall time is noisy on a shared machine).
pub(crate) fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // fields 14 and 15 of stat are utime, stime; `after` starts at field 3.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

/// Prints wall and CPU time of `f`.
pub(crate) fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let (t, c) = (Instant::now(), cpu_seconds());
    let out = f();
    println!(
        "{label}: wall {:.3} s, cpu {:.2} s (1 thread)",
        t.elapsed().as_secs_f64(),
        cpu_seconds() - c
    );
    out
}

fn noise(n: usize) -> Vec<f64> {
    let mut rng = crate::test_rng::Lcg(12345);
    (0..n).map(|_| rng.unit()).collect()
}

#[test]
#[ignore = "benchmark: run with --release --ignored --nocapture"]
fn bench_gaussian_sigma4_4096() {
    let n = 4096;
    let g = noise(n * n);
    let out = timed(&format!("gaussian sigma 4 on {n}x{n}"), || {
        into_row_major(gaussian_filter(view2(&g, n, n).unwrap(), 4.0, 4.0, 0, n).unwrap())
    });
    let half = timed("  rows 0..n/2 (one of 2 workers)", || {
        into_row_major(gaussian_filter(view2(&g, n, n).unwrap(), 4.0, 4.0, 0, n / 2).unwrap())
    });
    assert_eq!(half.len() * 2, out.len());
}

#[test]
#[ignore = "benchmark: run with --release --ignored --nocapture"]
fn bench_median_5x5_2048() {
    let n = 2048;
    let g = noise(n * n);
    for circ in [false, true] {
        let out = timed(&format!("median 5x5 (circular {circ}) on {n}x{n}"), || {
            into_row_major(median_filter(view2(&g, n, n).unwrap(), 5, circ, 0, n).unwrap())
        });
        assert_eq!(out.len(), n * n);
    }
}

#[test]
#[ignore = "benchmark"]
fn bench_median25_network_only() {
    let g = noise(25 * 1_000_000);
    let mut acc = 0.0;
    timed("1e6 x median25 network", || {
        for c in g.chunks_exact(25) {
            let mut a: [f64; 25] = c.try_into().unwrap();
            acc += super::median_network::median25(&mut a);
        }
    });
    let mut acc2 = 0.0;
    timed("1e6 x wirth 25", || {
        for c in g.chunks_exact(25) {
            let mut a = c.to_vec();
            acc2 += crate::outliers::stats::median_in_place(&mut a);
        }
    });
    assert_eq!(acc, acc2);
}

#[test]
#[ignore = "benchmark: run with --release --ignored --nocapture"]
fn bench_fft_bandpass_gaussian_4096() {
    use crate::spectral::{apply::fft_filter, transfer::Op};
    let n = 4096;
    let g = noise(n * n);
    let op = Op::parse("bandpass-gaussian", &[200.0, 10.0]).unwrap();
    let out = timed(
        &format!("fft bandpass-gaussian on {n}x{n} (padded to 4608)"),
        || {
            into_row_major(
                fft_filter(view2(&g, n, n).unwrap(), 1.0, 1.0, &op)
                    .unwrap()
                    .0,
            )
        },
    );
    assert_eq!(out.len(), n * n);
}

//! Comparison with the independent numpy implementation of the same pipeline in
//! `scripts/fixtures/filters_reference.py` (fixtures in `tests/fixtures/filters/`).

use super::{apply::fft_filter, transfer::Op};
use crate::arrays::{into_row_major, view2};
use crate::filters::fixture_tests::{assert_close, read_fixture, NX, NY};

#[test]
fn fft_filters_match_the_numpy_reference_within_1e_6() {
    let g = read_fixture("input_clean");
    let cases: [(&str, &[f64]); 12] = [
        ("bandpass-gaussian", &[30.0, 4.0]),
        ("bandpass-gaussian", &[0.0, 6.0]),
        ("bandpass-butterworth", &[30.0, 4.0, 2.0]),
        ("bandpass-cosine", &[40.0, 30.0, 6.0, 4.0]),
        ("upward", &[2000.0]),
        ("vertical-derivative", &[]),
        ("derivative-x", &[]),
        ("derivative-y", &[]),
        ("total-gradient", &[]),
        ("tilt", &[]),
        ("rtp", &[35.0, -12.0]),
        ("rtp", &[5.0, 20.0, 20.0]),
    ];
    for (i, (name, params)) in cases.iter().enumerate() {
        let op = Op::parse(name, params).unwrap();
        let got = into_row_major(
            fft_filter(view2(&g, NX, NY).unwrap(), 1.5, 2.0, &op)
                .unwrap()
                .0,
        );
        let want = read_fixture(&format!("fft_{i:02}_{name}"));
        // Relative to the largest reference value (outputs cross zero).
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert_close(&got, &want, 0, 1e-6, scale, name);
    }
}

//! The tests' and benchmarks' pseudo-random data: one generator, so that a test's data is
//! reproducible from its seed alone.

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
pub(crate) struct Lcg(pub u64);

impl Lcg {
    /// Uniform in [0, 1): the 53 high bits of the state after one step.
    pub fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

//! The instruction-set paths a generator can be drawn through, and which of
//! them this CPU has.
//!
//! A generator with SIMD paths ([`Generator::has_simd_paths`]) defines its
//! numbers independently of the instruction set; its paths are the same
//! source compiled three times, for the baseline instruction set and under
//! `#[target_feature]` for AVX2 and AVX-512, so they draw identical numbers
//! (the tests compare every path this machine has) and differ only in speed.
//!
//! A release build cannot assume more than the baseline (SSE2 on x86-64), so
//! the path is chosen at run time: [`Workload::new`] takes the one its
//! [`WorkloadSpec::simd`] names or, by default, [`Simd::widest`], and only
//! after [`Simd::is_supported`] has confirmed the CPU has it. That check is
//! what makes it sound to call the `#[target_feature]` functions: they are
//! reached only through a workload's path.
//!
//! [`Generator::has_simd_paths`]: super::Generator::has_simd_paths
//! [`Workload::new`]: crate::Workload::new
//! [`WorkloadSpec::simd`]: crate::WorkloadSpec::simd

use std::fmt;

/// An instruction-set path through a generator's kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Simd {
    /// The target's baseline instruction set: whatever a plain
    /// `cargo build --release` may assume (on x86-64, SSE2, with which the
    /// compiler still vectorizes the lanes two at a time).
    Scalar,
    /// x86-64 with AVX2: four 64-bit lanes per instruction.
    Avx2,
    /// x86-64 with AVX-512F: eight 64-bit lanes per instruction.
    Avx512,
}

impl Simd {
    /// Every path, narrowest first.
    pub const ALL: [Simd; 3] = [Simd::Scalar, Simd::Avx2, Simd::Avx512];

    /// The path's name, as `GILFREE_SIMD` takes it and reports print it.
    pub fn name(self) -> &'static str {
        match self {
            Simd::Scalar => "scalar",
            Simd::Avx2 => "avx2",
            Simd::Avx512 => "avx512",
        }
    }

    /// The path called `name` ([`Simd::name`]), if any.
    pub fn from_name(name: &str) -> Option<Simd> {
        Simd::ALL.into_iter().find(|simd| simd.name() == name)
    }

    /// Whether this CPU (and operating system, which must save the wide
    /// registers) can run the path. Detected once by the standard library
    /// and cached in an atomic: cheap, allocation-free, lock-free.
    pub fn is_supported(self) -> bool {
        match self {
            Simd::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            Simd::Avx2 | Simd::Avx512 => false,
        }
    }

    /// The paths this CPU supports, narrowest first.
    pub fn supported() -> impl Iterator<Item = Simd> {
        Simd::ALL.into_iter().filter(|simd| simd.is_supported())
    }

    /// The widest path this CPU supports: what a workload uses unless told
    /// otherwise.
    pub fn widest() -> Simd {
        Simd::supported().last().unwrap_or(Simd::Scalar)
    }
}

impl fmt::Display for Simd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for simd in Simd::ALL {
            assert_eq!(Simd::from_name(simd.name()), Some(simd));
        }
        for bad in ["", "AVX2", "sse2", "avx-512", "neon"] {
            assert_eq!(Simd::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_scalar_path_is_always_supported_and_the_widest_is_supported() {
        assert!(Simd::Scalar.is_supported());
        assert!(Simd::widest().is_supported());
        assert!(Simd::supported().all(|simd| simd <= Simd::widest()));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn detection_agrees_with_the_standard_library() {
        assert_eq!(
            Simd::Avx2.is_supported(),
            std::arch::is_x86_feature_detected!("avx2")
        );
        assert_eq!(
            Simd::Avx512.is_supported(),
            std::arch::is_x86_feature_detected!("avx512f")
        );
    }
}

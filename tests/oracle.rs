//! The kernel against an independent implementation of its documented
//! definition: SplitMix64 seeding, xoshiro256++ and its jump written from
//! Blackman & Vigna's reference C code, not from `rand_xoshiro`.

use gilfree::{Workload, WorkloadSpec, kernel};

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[derive(Clone)]
struct Xoshiro256pp([u64; 4]);

impl Xoshiro256pp {
    fn seeded(seed: u64) -> Self {
        let mut sm = SplitMix64(seed);
        Xoshiro256pp([sm.next(), sm.next(), sm.next(), sm.next()])
    }

    fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    fn jump(&mut self) {
        const JUMP: [u64; 4] = [
            0x180e_c6d3_3cfd_0aba,
            0xd5a6_1266_f0c9_392c,
            0xa958_2618_e03f_c9aa,
            0x39ab_dc45_29b1_661c,
        ];
        let mut acc = [0u64; 4];
        for word in JUMP {
            for bit in 0..64 {
                if word & (1 << bit) != 0 {
                    for (a, s) in acc.iter_mut().zip(self.0) {
                        *a ^= s;
                    }
                }
                self.next();
            }
        }
        self.0 = acc;
    }
}

/// Worker `worker`'s numbers, straight from the module docs of `kernel`.
fn oracle_numbers(seed: u64, worker: usize, count: u64, low: i64, high: i64) -> Vec<i64> {
    let mut rng = Xoshiro256pp::seeded(seed);
    for _ in 0..worker {
        rng.jump();
    }
    let n = (i128::from(high) - i128::from(low) + 1) as u128;
    let mut candidates = std::iter::from_fn(move || {
        let x = rng.next();
        Some(if n <= 1 << 32 {
            vec![x & 0xFFFF_FFFF, x >> 32]
        } else {
            vec![x]
        })
    })
    .flatten();
    let mut out = Vec::new();
    while (out.len() as u64) < count {
        let c = u128::from(candidates.next().unwrap());
        let bits = if n <= 1 << 32 { 32 } else { 64 };
        let m = c * n;
        if n < (1 << 64) && m % (1 << bits) < (1u128 << bits) % n {
            continue;
        }
        out.push((i128::from(low) + (m >> bits) as i128) as i64);
    }
    out
}

fn workload(workers: usize, count: u64, low: i64, high: i64, seed: u64) -> Workload {
    Workload::new(WorkloadSpec {
        workers,
        count,
        low,
        high,
        seed,
        ..WorkloadSpec::default()
    })
    .unwrap()
}

#[test]
fn worker_sums_match_an_independent_implementation() {
    let cases = [
        (3, 10_000, 1, 100, 2015),
        (2, 999, -50, 50, 0),
        (4, 1000, 0, 3 * (1 << 30) - 1, u64::MAX),
        (2, 100, -(1 << 40), 1 << 40, 12345),
        (1, 1, i64::MIN, i64::MAX, 7),
        (2, 5, 42, 42, 9),
    ];
    for (workers, count, low, high, seed) in cases {
        let w = workload(workers, count, low, high, seed);
        for worker in 0..workers {
            let numbers = oracle_numbers(seed, worker, count, low, high);
            assert_eq!(
                kernel::worker_numbers(&w, worker),
                numbers,
                "{low}..={high} seed {seed} worker {worker}"
            );
            let sum = numbers.iter().fold(0i64, |a, &x| a.wrapping_add(x));
            assert_eq!(
                kernel::worker_sum(&w, worker),
                sum,
                "{low}..={high} seed {seed} worker {worker}"
            );
        }
    }
}

/// Pins the stream definition: if a dependency ever changed its seeding or
/// jump, every published figure and fixture would silently change with it.
#[test]
fn the_books_workload_with_seed_2015_gives_these_sums() {
    let w = workload(8, 1_000_000, 1, 100, 2015);
    let sums: Vec<i64> = (0..8).map(|i| kernel::worker_sum(&w, i)).collect();
    assert_eq!(sums, PINNED_2015);
}

const PINNED_2015: [i64; 8] = [
    50_499_350, 50_573_674, 50_464_992, 50_456_068, 50_563_457, 50_520_080, 50_557_210, 50_567_424,
];

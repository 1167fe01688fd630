//! The kernel allocates nothing, whatever the generator and path: a forked
//! child of a multi-threaded parent may call it (the allocator's lock may be
//! held forever in the child). Checked by counting this thread's
//! allocations through a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use gilfree::{Generator, Simd, Workload, WorkloadSpec, kernel};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// count is a const-initialised thread-local without destructor, whose use
// does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn drawing_a_stream_allocates_nothing_with_any_generator_on_any_path() {
    for generator in Generator::ALL {
        for simd in Simd::supported() {
            for (low, high) in [(1, 100), (0, 3 * (1 << 30) - 1), (-(1 << 40), 1 << 40)] {
                let workload = Workload::new(WorkloadSpec {
                    workers: 3,
                    count: 10_001,
                    low,
                    high,
                    seed: 5,
                    generator,
                    simd: Some(simd),
                    ..WorkloadSpec::default()
                })
                .unwrap();
                let mut numbers = vec![0; 10_001];
                let what = format!("{} {simd} {low}..={high}", generator.name());
                let count = allocations_during(|| {
                    std::hint::black_box(kernel::worker_sum(&workload, 2));
                    kernel::fill_worker_numbers(&workload, 2, &mut numbers);
                    let mut stream = kernel::Stream::new(&workload, 2);
                    while stream.remaining() > 0 {
                        stream.sum_some(777);
                    }
                    std::hint::black_box(stream.sum());
                });
                assert_eq!(count, 0, "{what}");
                assert_eq!(
                    kernel::sum_numbers(&numbers),
                    kernel::worker_sum(&workload, 2)
                );
            }
        }
    }
    // The counter counts: a vector allocates.
    assert_eq!(
        allocations_during(|| drop(std::hint::black_box(vec![1u8; 9]))),
        1
    );
}

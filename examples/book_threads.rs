//! The book's listing 11-1 in Rust: eight threads each sum a million random
//! integers in 1..=100 and append their sum to one shared list.
//!
//! What it teaches: Python's `results` list becomes an `Arc<Mutex<Vec<i64>>>`
//! — shared ownership (`Arc`) plus a lock (`Mutex`) that Rust makes you take
//! before you may append. The lock guards one push per thread, so it costs
//! nothing; unlike CPython's GIL, it does not stop the threads from computing
//! at the same time. The results arrive in the order the threads finish, as
//! in the book. Run it under `time` to see the CPU use the book measured:
//!
//! ```text
//! time cargo run --release --example book_threads            # 8 × 1,000,000
//! cargo run --release --example book_threads -- 100000 7     # COUNT, SEED
//! ```
//!
//! Each thread's numbers are gilfree's stream for (seed, worker), so the sums
//! equal those of `gilfree --seed 2015`, whichever order they arrive in.

use std::error::Error;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use gilfree::{Workload, WorkloadSpec, kernel};

fn main() -> ExitCode {
    match try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> Result<(), Box<dyn Error>> {
    let (count, seed) = count_and_seed()?;
    let workload = Workload::new(WorkloadSpec {
        workers: 8,
        count,
        seed,
        ..WorkloadSpec::default()
    })?;

    let started = Instant::now();
    // results = []
    let results: Arc<Mutex<Vec<i64>>> = Arc::new(Mutex::new(Vec::new()));
    // workers = [threading.Thread(target=compute) for x in range(8)]; worker.start()
    let workers: Vec<thread::JoinHandle<()>> = (0..workload.workers())
        .map(|worker| {
            let results = Arc::clone(&results);
            let workload = workload.clone();
            thread::spawn(move || {
                // sum([random.randint(1, 100) for i in range(1000000)])
                let sum = kernel::worker_sum(&workload, worker);
                // results.append(...)
                results
                    .lock()
                    .expect("no thread panics while holding the lock")
                    .push(sum);
            })
        })
        .collect();
    // for worker in workers: worker.join()
    for worker in workers {
        worker.join().map_err(|_| "a worker thread panicked")?;
    }
    let elapsed = started.elapsed();

    let results = results.lock().expect("every thread has finished");
    println!("Results: {results:?}");
    println!(
        "{} threads × {count} numbers in {:.1} ms (seed {seed}; in the order the threads finished)",
        workload.workers(),
        elapsed.as_secs_f64() * 1e3
    );
    Ok(())
}

/// `[COUNT [SEED]]` from the command line; the book's 1,000,000 and 2015 by default.
fn count_and_seed() -> Result<(u64, u64), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: book_threads [COUNT [SEED]] (whole numbers)";
    let count = args
        .next()
        .map_or(Ok(1_000_000), |a| a.parse())
        .map_err(|_| usage)?;
    let seed = args
        .next()
        .map_or(Ok(2015), |a| a.parse())
        .map_err(|_| usage)?;
    Ok((count, seed))
}

//! Cost of spawn + run + join of a trivial task, from a loop inside the runtime.
//! Prints nanoseconds per iteration.
//!
//! Variant `task` (default) runs the loop in a spawned task, i.e. on the
//! runtime's scheduler like the engine's own tasks. Variant `main` runs it in the
//! future given to block_on (the body of `#[tokio::main]`), which is not an
//! ordinary task: waking it costs syscalls or a thread hand-off (see README).

use percore_peers::{parse_args, Args, Runtime};
use std::future::Future;
use std::time::Instant;

const WARMUP: u64 = 10_000;

/// Times `iterations` rounds of `spawn_join` (which spawns a task returning its
/// argument and awaits it) after a warm-up; returns ns per round.
async fn measure<F, Fut>(iterations: u64, mut spawn_join: F) -> f64
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = u64>,
{
    for i in 0..WARMUP {
        assert_eq!(spawn_join(i).await, i);
    }
    let start = Instant::now();
    let mut sum = 0u64;
    for i in 0..iterations {
        sum = sum.wrapping_add(spawn_join(i).await);
    }
    let elapsed = start.elapsed();
    // Checking the results keeps the joins observable.
    assert_eq!(sum, (0..iterations).fold(0u64, |a, i| a.wrapping_add(i)));
    elapsed.as_nanos() as f64 / iterations as f64
}

fn main() {
    let Args {
        runtime,
        count: iterations,
        variant,
    } = parse_args(1_000_000, &["task", "main"]);
    let in_task = variant == "task";
    let ns = match runtime {
        Runtime::TokioCurrent | Runtime::TokioMulti => {
            let bench = measure(iterations, |i| async move {
                tokio::spawn(async move { i }).await.expect("task failed")
            });
            runtime.tokio().block_on(async move {
                if in_task {
                    tokio::spawn(bench).await.expect("task failed")
                } else {
                    bench.await
                }
            })
        }
        Runtime::Smol => {
            // smol::spawn goes to a global executor on another thread; the
            // single-threaded counterpart of tokio-current is an executor driven by
            // smol::block_on, the pattern smol documents. Leaked so that the
            // spawned loop may borrow it.
            let executor: &'static smol::LocalExecutor = Box::leak(Box::default());
            let bench = measure(iterations, |i| executor.spawn(async move { i }));
            smol::block_on(executor.run(async {
                if in_task {
                    executor.spawn(bench).await
                } else {
                    bench.await
                }
            }))
        }
        Runtime::AsyncStd => {
            let bench = measure(iterations, |i| async_std::task::spawn(async move { i }));
            async_std::task::block_on(async move {
                if in_task {
                    async_std::task::spawn(bench).await
                } else {
                    bench.await
                }
            })
        }
    };
    println!("{:.1}", ns);
}

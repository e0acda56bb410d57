//! Bytes per parked task: RSS growth from spawning N detached tasks that each
//! wait on an event that never fires, divided by N.

use futures_channel::oneshot;
use percore_peers::{parse_args, rss_bytes, Args, Runtime};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Tasks that have reached their wait (counted just before the first suspension).
static PARKED: AtomicU64 = AtomicU64::new(0);

/// A task that waits on its own futures oneshot channel whose sender is leaked,
/// so the event never fires and the channel stays open: runtime-neutral, it
/// registers the task's waker, and is the lightest per-task event in `futures`.
fn oneshot_task() -> impl Future<Output = ()> + Send + 'static {
    let (sender, receiver) = oneshot::channel::<()>();
    std::mem::forget(sender);
    async move {
        PARKED.fetch_add(1, Ordering::Relaxed);
        let _ = receiver.await;
    }
}

/// A task that waits on nothing: the bare cost of a suspended task. Its own
/// function, not a branch of `oneshot_task`, so its future carries no unused
/// receiver slot (8 bytes can move a task into the next allocator size class).
fn pending_task() -> impl Future<Output = ()> + Send + 'static {
    async {
        PARKED.fetch_add(1, Ordering::Relaxed);
        std::future::pending::<()>().await
    }
}

/// Spawns `n` parked tasks with `spawn_detached` and returns bytes per task.
/// `sleep` lets the runtime run until every task has reached its wait.
async fn measure<S, Z, F>(n: u64, mut spawn_detached: S, sleep: Z) -> f64
where
    S: FnMut(),
    Z: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    // Warm up: the runtime's threads, queues and timer exist before the baseline.
    spawn_detached();
    sleep(Duration::from_millis(10)).await;
    let before = rss_bytes();
    let already = PARKED.load(Ordering::Relaxed);
    for _ in 0..n {
        spawn_detached();
    }
    while PARKED.load(Ordering::Relaxed) < already + n {
        sleep(Duration::from_millis(10)).await;
    }
    // The last tasks counted themselves just before suspending; let them finish.
    sleep(Duration::from_millis(100)).await;
    let after = rss_bytes();
    (after as f64 - before as f64) / n as f64
}

/// Runs `measure` on `runtime` with detached tasks made by `new_task`.
fn run<M, T>(runtime: Runtime, n: u64, new_task: M) -> f64
where
    M: Fn() -> T,
    T: Future<Output = ()> + Send + 'static,
{
    match runtime {
        Runtime::TokioCurrent | Runtime::TokioMulti => runtime.tokio().block_on(measure(
            n,
            || drop(tokio::spawn(new_task())), // dropping a JoinHandle detaches
            tokio::time::sleep,
        )),
        Runtime::Smol => {
            let executor = smol::LocalExecutor::new();
            smol::block_on(executor.run(measure(
                n,
                || executor.spawn(new_task()).detach(),
                |d| async move {
                    smol::Timer::after(d).await;
                },
            )))
        }
        Runtime::AsyncStd => async_std::task::block_on(measure(
            n,
            || drop(async_std::task::spawn(new_task())), // dropping a JoinHandle detaches
            async_std::task::sleep,
        )),
    }
}

fn main() {
    let Args {
        runtime,
        count: n,
        variant: wait,
    } = parse_args(1_000_000, &["oneshot", "pending"]);
    let bytes = match wait {
        "oneshot" => run(runtime, n, oneshot_task),
        _ => run(runtime, n, pending_task),
    };
    println!("{:.1}", bytes);
}

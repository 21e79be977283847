//! Work over a range of indexes on several threads, with the results in index order: how generated calls are
//! made and serialized on every core at startup.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many threads to use for work that keeps every core busy: one per core the process may use, at most 8.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Runs `work` over `0..count` in runs of `run` indexes (the last one shorter), on up to `threads` threads,
/// and returns each run's result in index order. A thread takes the next run not yet taken, so a slow run does
/// not hold the others back; each thread has a state of its own, made by `init` (a reusable buffer, say). With
/// one thread, or a single run, everything runs on the calling thread.
pub(crate) fn in_runs<S, T: Send>(
    count: u64,
    run: u64,
    threads: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, Range<u64>) -> T + Sync,
) -> Vec<T> {
    let run = run.max(1);
    let runs = count.div_ceil(run);
    let range = |k: u64| k * run..count.min((k + 1) * run);
    let threads = (threads.max(1) as u64).min(runs);
    if threads <= 1 {
        let mut state = init();
        return (0..runs).map(|k| work(&mut state, range(k))).collect();
    }
    let next = AtomicU64::new(0);
    let mut done: Vec<(u64, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut state = init();
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= runs {
                            return mine;
                        }
                        mine.push((k, work(&mut state, range(k))));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    done.sort_unstable_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Mutex;

    #[test]
    fn every_index_is_worked_once_and_the_results_come_in_index_order() {
        for threads in [1, 2, 3, 8] {
            for (count, run) in [(0, 4), (1, 4), (10, 3), (12, 3), (1000, 7), (5, 100)] {
                let seen = Mutex::new(Vec::new());
                let results = in_runs(
                    count,
                    run,
                    threads,
                    || (),
                    |(), range| {
                        seen.lock().unwrap().extend(range.clone());
                        range
                    },
                );
                let expected: Vec<_> = (0..count.div_ceil(run))
                    .map(|k| k * run..count.min((k + 1) * run))
                    .collect();
                assert_eq!(results, expected, "{count} in runs of {run} on {threads}");
                let mut seen = seen.into_inner().unwrap();
                seen.sort_unstable();
                assert_eq!(seen, (0..count).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn the_runs_share_the_threads_each_with_its_own_state() {
        // Each thread counts the runs it did in its own state; every run is counted once, on at most 2 threads.
        let states = Mutex::new(Vec::new());
        struct Counted<'a>(usize, &'a Mutex<Vec<usize>>);
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                self.1.lock().unwrap().push(self.0);
            }
        }
        let threads_seen = Mutex::new(HashSet::new());
        let results = in_runs(
            100,
            1,
            2,
            || Counted(0, &states),
            |state, range| {
                state.0 += 1;
                threads_seen
                    .lock()
                    .unwrap()
                    .insert(std::thread::current().id());
                std::thread::yield_now();
                range.start
            },
        );
        assert_eq!(results, (0..100).collect::<Vec<_>>());
        let states = states.into_inner().unwrap();
        assert_eq!(states.iter().sum::<usize>(), 100);
        assert!(states.len() <= 2, "{states:?}");
        assert!(threads_seen.into_inner().unwrap().len() <= 2);
    }

    #[test]
    fn one_thread_or_one_run_works_on_the_calling_thread_and_more_on_threads_of_their_own() {
        let caller = std::thread::current().id();
        let threads_of = |count: u64, run: u64, threads: usize| {
            let seen = Mutex::new(HashSet::new());
            in_runs(
                count,
                run,
                threads,
                || (),
                |(), _| {
                    seen.lock().unwrap().insert(std::thread::current().id());
                },
            );
            seen.into_inner().unwrap()
        };
        assert_eq!(threads_of(10, 1, 1), HashSet::from([caller]));
        assert_eq!(threads_of(10, 10, 4), HashSet::from([caller]), "one run");
        let spawned = threads_of(10, 1, 2);
        assert!(
            !spawned.contains(&caller) && !spawned.is_empty(),
            "{spawned:?}"
        );
    }

    #[test]
    fn at_most_eight_threads_and_at_least_one() {
        assert!((1..=8).contains(&threads()));
    }
}

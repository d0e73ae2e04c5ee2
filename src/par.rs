//! Work spread over the cores: the stages' per-file work (reading,
//! parsing, checking, hashing) is independent from file to file.

use std::sync::{Mutex, PoisonError};

/// `f` over `items` on up to as many threads as there are cores (at most
/// 8, this one among them), each thread with its own `init()` state (a
/// cache); the results in the order of `items`. Few items stay on this
/// thread.
///
/// The items are handed out in small blocks, in turn, not split in equal
/// halves up front: a thread slowed by something else on its core (the
/// state record parsed on a thread of its own, another process) takes
/// fewer blocks, and the threads finish within a block of each other
/// (with halves, a 10,000-post `validate`'s threads finished up to 42 ms
/// apart).
pub fn map<T, S, R>(
    items: Vec<T>,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, T) -> R + Sync,
) -> Vec<R>
where
    T: Send,
    R: Send,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8);
    let len = items.len();
    if threads == 1 || len < 64 {
        let mut state = init();
        return items.into_iter().map(|t| f(&mut state, t)).collect();
    }
    let block = (len / (threads * 16)).clamp(8, 128);
    // The next block's number and the items not yet handed out.
    let queue = Mutex::new((0usize, items.into_iter()));
    let work = || {
        let mut state = init();
        let mut done: Vec<(usize, Vec<R>)> = Vec::new();
        let mut batch = Vec::with_capacity(block);
        loop {
            let number = {
                let mut queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
                batch.extend(queue.1.by_ref().take(block));
                queue.0 += 1;
                queue.0 - 1
            };
            if batch.is_empty() {
                return done;
            }
            done.push((number, batch.drain(..).map(|t| f(&mut state, t)).collect()));
        }
    };
    let mut blocks = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut blocks = work();
        for other in others {
            blocks.extend(
                other
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        blocks
    });
    blocks.sort_unstable_by_key(|b| b.0);
    let mut out = Vec::with_capacity(len);
    for (_, results) in blocks {
        out.extend(results);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        let out = super::map(
            items,
            || 0u32,
            |seen, i| {
                *seen += 1;
                i * 2
            },
        );
        assert_eq!(out, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        let few = super::map(vec![3, 1, 2], || (), |(), i| i);
        assert_eq!(few, [3, 1, 2]);
    }

    #[test]
    fn uneven_work_keeps_the_order_and_does_each_item_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = AtomicUsize::new(0);
        // The first blocks are slow: whoever takes them, the others take
        // the rest, and the results still come back in the items' order.
        let out = super::map(
            (0..3000).collect::<Vec<usize>>(),
            || (),
            |(), i| {
                calls.fetch_add(1, Ordering::Relaxed);
                if i < 300 {
                    std::thread::sleep(std::time::Duration::from_micros(20));
                }
                i * 3
            },
        );
        assert_eq!(out, (0..3000).map(|i| i * 3).collect::<Vec<_>>());
        assert_eq!(calls.load(Ordering::Relaxed), 3000);
    }
}

//! Work spread over the cores: the stages' per-file work (reading,
//! parsing, checking, hashing) is independent from file to file.

/// `f` over `items` on up to as many threads as there are cores (at most
/// 8), each thread with its own `init()` state (a cache); the results in
/// the order of `items`. Few items stay on this thread.
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
    if threads == 1 || items.len() < 64 {
        let mut state = init();
        return items.into_iter().map(|t| f(&mut state, t)).collect();
    }
    let per = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(per).collect());
    }
    let (init, f) = (&init, &f);
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    let mut state = init();
                    chunk
                        .into_iter()
                        .map(|t| f(&mut state, t))
                        .collect::<Vec<R>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
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
}

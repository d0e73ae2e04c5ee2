//! Fetching LFS objects for apply (placeholder, filled in below).

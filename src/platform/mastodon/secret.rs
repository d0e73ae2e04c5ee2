//! The access token: the seam's [`crate::platform::Secret`], held in memory
//! only and sent only in the `Authorization` header.

pub use crate::platform::Secret as Token;

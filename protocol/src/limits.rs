//! Limits Confab enforces, in one place. The README's "Limits" table lists them for users.

/// Longest UID or GUID, in characters.
pub const MAX_ID_LEN: usize = 100;
/// Longest user or group name, in characters.
pub const MAX_NAME_LEN: usize = 100;
/// Longest value of a free-form widget config string (avatar URL, link, mount selector, ...), in bytes.
pub const MAX_CONFIG_STRING_LEN: usize = 2048;

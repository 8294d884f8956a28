//! Limits Confab enforces, in one place. The README's "Limits" table lists them for users.

/// Longest UID or GUID, in characters.
pub const MAX_ID_LEN: usize = 100;
/// Longest user or group name, in characters.
pub const MAX_NAME_LEN: usize = 100;
/// Longest value of a free-form widget config string (avatar URL, link, mount selector, ...), in bytes.
pub const MAX_CONFIG_STRING_LEN: usize = 2048;
/// Longest URL (avatar, link, icon, attachment), in bytes.
pub const MAX_URL_LEN: usize = 2048;
/// Longest role, status message, group description or tag, in characters.
pub const MAX_SHORT_TEXT_LEN: usize = 1000;
/// Largest `metadata` object, serialised, in bytes.
pub const MAX_METADATA_BYTES: usize = 5 * 1024;
/// Most tags on a user, group or message.
pub const MAX_TAGS: usize = 25;
/// Longest tag, in characters.
pub const MAX_TAG_LEN: usize = 100;
/// Largest message `data` (text, attachments and metadata), serialised, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 65 * 1024;
/// Largest uploaded image by default, in bytes (the server's `--max-image-bytes` changes it).
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;
/// Largest uploaded video by default, in bytes (`--max-video-bytes`).
pub const DEFAULT_MAX_VIDEO_BYTES: u64 = 100 * 1024 * 1024;
/// Largest uploaded audio file by default, in bytes (`--max-audio-bytes`).
pub const DEFAULT_MAX_AUDIO_BYTES: u64 = 25 * 1024 * 1024;
/// Largest other uploaded file by default, in bytes (`--max-file-bytes`).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;
/// Bytes of uploads an app may keep by default (`--media-quota-bytes`).
pub const DEFAULT_MEDIA_QUOTA_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// How long a signed media URL lasts by default, in seconds (`--media-url-ttl`).
pub const DEFAULT_MEDIA_URL_TTL_SECS: u64 = 3600;
/// How long an upload no message uses is kept, in seconds.
pub const UNUSED_UPLOAD_TTL_SECS: u64 = 24 * 3600;
/// Most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 10;
/// Longest reaction (an emoji, or a short text), in characters.
pub const MAX_REACTION_CHARS: usize = 20;
/// Most different reactions on one message.
pub const MAX_REACTIONS_PER_MESSAGE: usize = 20;
/// Most reactions one user gives one message.
pub const MAX_REACTIONS_PER_USER: usize = 5;
/// Most reactors a message's reaction counts name (`uids`); the count goes on past it.
pub const MAX_REACTORS_LISTED: usize = 25;
/// Largest page of `GET /messages/{id}/reactions`.
pub const MAX_REACTIONS_PER_PAGE: u32 = 100;
/// Most users one message mentions.
pub const MAX_MENTIONS: usize = 10;
/// Longest `searchKey`, in characters.
pub const MAX_SEARCH_KEY_CHARS: usize = 100;
/// Largest page of a message search.
pub const MAX_SEARCH_PER_PAGE: u32 = 100;
/// Largest request body the server reads, in bytes.
pub const MAX_BODY_BYTES: usize = 128 * 1024;
/// Longest group password, in characters.
pub const MAX_PASSWORD_LEN: usize = 100;
/// Most users in one add-members call.
pub const MAX_MEMBERS_PER_CALL: usize = 25;
/// Most users in one block or friends call.
pub const MAX_UIDS_PER_CALL: usize = 25;
/// Page size of lists when the request gives none.
pub const DEFAULT_PER_PAGE: u32 = 100;
/// Largest page size of lists.
pub const MAX_PER_PAGE: u32 = 1000;
/// Default requests per minute for each key or token (the server's `--rate-limit` changes it).
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 6000;
/// Most webhooks per app.
pub const MAX_WEBHOOKS_PER_APP: usize = 25;
/// Calls made for one bot or webhook delivery before it is marked failed, by default (the server's
/// `--callback-attempts` changes it).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 10;
/// Longest wait for a bot or webhook to answer a call, in seconds.
pub const CALLBACK_TIMEOUT_SECS: u64 = 10;
/// Longest basic-auth user name or password for callbacks, in characters.
pub const MAX_BASIC_AUTH_LEN: usize = 255;

/// The shortest lifetime a session token may be given, in seconds.
pub const MIN_TOKEN_LIFETIME_SECS: u64 = 60;
/// The longest lifetime a session token may be given, in seconds (a year).
pub const MAX_TOKEN_LIFETIME_SECS: u64 = 365 * 24 * 3600;

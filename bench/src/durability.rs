//! The check after a SIGKILL: every acknowledged message of a 1:1 conversation is stored exactly once, in
//! order.

use crate::api::Api;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

/// Page size when reading a conversation back (the server's largest).
const PAGE: u32 = 1000;

/// One 1:1 conversation and the message ids the server acknowledged in it.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    /// One of the two users; the listing acts as them.
    pub me: String,
    /// The other user.
    pub other: String,
    /// Ids answered with HTTP 200, in any order.
    pub acknowledged: Vec<String>,
}

/// What reading the conversations back found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Durability {
    /// Distinct acknowledged ids looked for.
    pub checked: u64,
    /// Acknowledged ids not in their conversation.
    pub missing: u64,
    /// Acknowledged ids listed more than once.
    pub duplicated: u64,
    /// Places where a listed id is not greater than the one before it.
    pub out_of_order: u64,
    /// Stored messages whose send got no 200 (a timeout, say); allowed, shown for information.
    pub unacknowledged: u64,
}

impl Durability {
    /// Adds the findings of another conversation.
    fn add(&mut self, other: Durability) {
        self.checked += other.checked;
        self.missing += other.missing;
        self.duplicated += other.duplicated;
        self.out_of_order += other.out_of_order;
        self.unacknowledged += other.unacknowledged;
    }
}

/// Reads every conversation back from the oldest message, page by page, and compares it with what was
/// acknowledged.
pub async fn check(api: &Api, conversations: &[Conversation]) -> Result<Durability, String> {
    let mut total = Durability::default();
    for conversation in conversations {
        let listed = list_all(api, &conversation.me, &conversation.other).await?;
        total.add(compare(&conversation.acknowledged, &listed));
    }
    Ok(total)
}

/// Every message id of the conversation between `me` and `other`, as listed, oldest first.
async fn list_all(api: &Api, me: &str, other: &str) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = api
            .conversation_page(me, other, after.as_deref(), PAGE)
            .await
            .map_err(|err| format!("listing the messages of {me} and {other} failed: {err}"))?;
        ids.extend(page.messages.into_iter().map(|message| message.id));
        match page.next {
            Some(next) if after.as_deref() == Some(next.as_str()) => {
                return Err(format!("listing the messages of {me} and {other}: the next page starts at {next} again"));
            }
            Some(next) => after = Some(next),
            None => return Ok(ids),
        }
    }
}

/// Compares one conversation's acknowledged ids with its listing.
pub fn compare(acknowledged: &[String], listed: &[String]) -> Durability {
    let mut seen: HashMap<&str, u64> = HashMap::with_capacity(listed.len());
    for id in listed {
        *seen.entry(id).or_default() += 1;
    }
    let acknowledged: HashSet<&str> = acknowledged.iter().map(String::as_str).collect();
    let mut found = Durability { checked: acknowledged.len() as u64, ..Durability::default() };
    for id in &acknowledged {
        match seen.get(id).copied().unwrap_or(0) {
            0 => found.missing += 1,
            1 => {}
            _ => found.duplicated += 1,
        }
    }
    found.out_of_order = listed.windows(2).filter(|pair| id_order(&pair[0], &pair[1]) != Ordering::Less).count() as u64;
    found.unacknowledged = seen.keys().filter(|id| !acknowledged.contains(*id)).count() as u64;
    found
}

/// Numeric order of message ids (decimal strings without leading zeros): shorter is smaller, then by digits.
fn id_order(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|id| id.to_string()).collect()
    }

    #[test]
    fn a_clean_conversation_passes() {
        let found = compare(&ids(&["3", "1", "10", "2"]), &ids(&["1", "2", "3", "9", "10"]));
        assert_eq!(found, Durability { checked: 4, unacknowledged: 1, ..Durability::default() });
    }

    #[test]
    fn finds_missing_duplicated_and_out_of_order_ids() {
        let found = compare(&ids(&["1", "2", "3", "3"]), &ids(&["1", "3", "3", "10", "9"]));
        assert_eq!(found, Durability { checked: 3, missing: 1, duplicated: 1, out_of_order: 2, unacknowledged: 2 });
    }
}

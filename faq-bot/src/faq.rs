//! The questions the bot knows, and how it picks an answer: the entry sharing the most keywords with the
//! question wins; with none in common, the bot says what it can help with.

/// One entry: words that point to it, and its answer.
pub struct Entry {
    /// Lower-case keywords.
    pub keywords: &'static [&'static str],
    /// The reply.
    pub answer: &'static str,
}

/// What the demo bot knows about Confab.
pub const FAQ: &[Entry] = &[
    Entry {
        keywords: &["install", "snippet", "embed", "add", "paste", "website", "site"],
        answer: "Paste the snippet from the README into your page's <head> and <body>: the chat panel appears for every visitor.",
    },
    Entry {
        keywords: &["self-hosted", "host", "server", "run", "deploy", "sqlite", "postgres", "postgresql"],
        answer: "Confab is one binary: `confab-server serve` keeps everything in an embedded SQLite file. Larger sites run several nodes on PostgreSQL.",
    },
    Entry {
        keywords: &["price", "pricing", "cost", "free", "license", "pay"],
        answer: "Confab is open source (MIT or Apache-2.0) and free to run on your own machine.",
    },
    Entry {
        keywords: &["bot", "bots", "webhook", "webhooks", "callback", "reply"],
        answer: "A bot is a user with a callback URL: Confab POSTs each message for it, signed with HMAC-SHA256, and the bot replies with POST /v3/bots/{uid}/messages.",
    },
    Entry {
        keywords: &["secure", "security", "safe", "privacy", "data", "encrypt", "keys"],
        answer: "Keys and tokens are stored hashed, the REST API key never reaches a browser, and message text is always shown as text, never as HTML.",
    },
    Entry {
        keywords: &["offline", "reconnect", "lost", "missed", "resume"],
        answer: "A device that reconnects gets every message it missed, in order, without duplicates; messages written offline are sent once it is back.",
    },
    Entry {
        keywords: &["hello", "hi", "hey", "morning", "evening"],
        answer: "Hello! I'm the Confab FAQ bot. Ask me how to install Confab, how to host it, what it costs, or how bots work.",
    },
];

/// The reply when no entry matches.
pub const FALLBACK: &str =
    "I can answer questions about installing Confab, hosting it, pricing, security, reconnecting, and bots. Try \"How do I install it?\"";

/// The best answer to `question`.
pub fn answer(question: &str) -> &'static str {
    let lower = question.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !(c.is_alphanumeric() || c == '-')).filter(|w| !w.is_empty()).collect();
    FAQ.iter()
        .map(|entry| (entry.keywords.iter().filter(|k| words.contains(k)).count(), entry))
        .filter(|(score, _)| *score > 0)
        .max_by_key(|(score, _)| *score)
        .map_or(FALLBACK, |(_, entry)| entry.answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_get_the_matching_answer() {
        assert!(answer("How do I add it to my website?").contains("snippet"));
        assert!(answer("What does it COST?").contains("free"));
        assert!(answer("hi there").starts_with("Hello"));
        assert!(answer("Can I run it on PostgreSQL?").contains("PostgreSQL"));
    }

    #[test]
    fn unknown_questions_get_the_fallback() {
        assert_eq!(answer("what is the airspeed of a swallow"), FALLBACK);
        assert_eq!(answer(""), FALLBACK);
    }
}

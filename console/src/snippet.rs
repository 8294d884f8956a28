//! The "paste this" texts: the snippet per sign-in mode filled in with the app's values, and the recipes
//! a site's backend needs (the `userHash` of uid mode, the token of authToken mode).

/// The sign-in modes, with a label and a sentence on when to use each.
pub const MODES: &[(&str, &str, &str)] = &[
    ("guest", "Guest", "Visitors chat without an account: each browser gets a guest user."),
    ("uid", "Your users (uid)", "Your site's signed-in users chat under their own uid; your backend computes userHash."),
    ("authToken", "Auth token", "Your backend creates a token for the user with the REST API key and puts it in the page."),
];

/// Shown where a key is needed and none was created in this session.
pub const AUTH_KEY_PLACEHOLDER: &str = "AUTH_KEY";

/// The values a snippet is filled with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetValues {
    /// The chat server's origin, `https://chat.example.com`.
    pub origin: String,
    /// The app's id.
    pub app_id: String,
    /// The app's region.
    pub region: String,
    /// The auth-only key, or [`AUTH_KEY_PLACEHOLDER`].
    pub auth_key: String,
}

/// A JavaScript string literal of `value`.
fn js(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".into())
}

/// The snippet for `mode` (`guest`, `uid` or `authToken`).
pub fn snippet(mode: &str, v: &SnippetValues) -> String {
    let credentials = match mode {
        "uid" => format!(
            "      mode: \"uid\",\n      authKey: {},\n      uid: \"USER_ID\",          // your user's id\n      userHash: \"USER_HASH\",   // computed by your backend, see below\n",
            js(&v.auth_key)
        ),
        "authToken" => "      mode: \"authToken\",\n      authToken: \"AUTH_TOKEN\", // created by your backend, see below\n".to_owned(),
        _ => format!("      mode: \"guest\",\n      authKey: {},\n", js(&v.auth_key)),
    };
    format!(
        r#"<!-- Confab: paste the first line into <head> and the rest into <body>. -->
<script defer src="{origin}/widget/confab.js"></script>

<div id="confab-chat"></div>
<script>
  window.addEventListener("DOMContentLoaded", function () {{
    if (!window.Confab) return; // the chat server is unreachable: the page carries on without chat
    Confab.on("onError", function (error) {{
      console.warn("Chat unavailable:", error.code, error.field || "");
    }});
    Confab.start({{
      appID: {app},
      region: {region},
{credentials}      width: "400px",
      height: "600px",
      isDocked: true,
      dockedAlignment: "right",
    }});
  }});
</script>
"#,
        origin = v.origin.trim_end_matches('/'),
        app = js(&v.app_id),
        region = js(&v.region),
    )
}

/// The `userHash` recipe per backend language: (language, code).
pub fn user_hash_recipes() -> [(&'static str, &'static str); 3] {
    [
        (
            "Node.js",
            r#"const crypto = require("crypto");
// IDENTITY_SECRET: the app's identity secret (Settings), kept on your server only.
const userHash = crypto.createHmac("sha256", IDENTITY_SECRET).update(uid.toLowerCase()).digest("hex");"#,
        ),
        (
            "Python",
            r#"import hashlib, hmac
# IDENTITY_SECRET: the app's identity secret (Settings), kept on your server only.
user_hash = hmac.new(IDENTITY_SECRET.encode(), uid.lower().encode(), hashlib.sha256).hexdigest()"#,
        ),
        (
            "PHP",
            r#"<?php
// IDENTITY_SECRET: the app's identity secret (Settings), kept on your server only.
$userHash = hash_hmac('sha256', strtolower($uid), IDENTITY_SECRET);"#,
        ),
    ]
}

/// How the backend gets a token for authToken mode (a `curl` call with the REST API key).
pub fn auth_token_recipe(v: &SnippetValues) -> String {
    format!(
        "# REST_API_KEY: a full-access key (Keys), kept on your server only.\n\
         curl -X POST {origin}/v3/users/USER_ID/auth_tokens \\\n  -H 'appid: {app}' -H \"apikey: $REST_API_KEY\" \\\n  -H 'content-type: application/json' -d '{{}}'\n\
         # The answer's data.authToken goes into the page as authToken.",
        origin = v.origin.trim_end_matches('/'),
        app = v.app_id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(auth_key: &str) -> SnippetValues {
        SnippetValues { origin: "https://chat.example.com/".into(), app_id: "app1".into(), region: "eu".into(), auth_key: auth_key.into() }
    }

    #[test]
    fn each_mode_is_filled_in() {
        let guest = snippet("guest", &values("ak_123"));
        assert!(guest.contains(r#"<script defer src="https://chat.example.com/widget/confab.js"></script>"#));
        assert!(guest.contains(r#"appID: "app1","#));
        assert!(guest.contains(r#"region: "eu","#));
        assert!(guest.contains(r#"mode: "guest","#));
        assert!(guest.contains(r#"authKey: "ak_123","#));
        let uid = snippet("uid", &values(AUTH_KEY_PLACEHOLDER));
        assert!(uid.contains(r#"authKey: "AUTH_KEY","#) && uid.contains("userHash: \"USER_HASH\""));
        let token = snippet("authToken", &values("ak_123"));
        assert!(token.contains(r#"mode: "authToken","#) && !token.contains("authKey"));
    }

    #[test]
    fn values_are_quoted_as_javascript() {
        let odd = SnippetValues { app_id: "a\"b".into(), ..values("k") };
        assert!(snippet("guest", &odd).contains(r#"appID: "a\"b","#));
        assert!(auth_token_recipe(&values("k")).contains("https://chat.example.com/v3/users/USER_ID/auth_tokens"));
        assert_eq!(user_hash_recipes().len(), 3);
    }
}

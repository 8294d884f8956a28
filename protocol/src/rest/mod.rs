//! Bodies of the REST API v3: what clients send and what the server answers, resource by resource.
//!
//! Every success is `{"data": ...}` ([`Data`]); lists add `meta.pagination` ([`Page`]) or, for messages,
//! cursors ([`MessagePage`](messages::MessagePage)). Times are Unix seconds.

pub mod app;
pub mod auth;
pub mod bots;
pub mod conversations;
pub mod groups;
pub mod media;
pub mod messages;
pub mod social;
pub mod users;
pub mod webhooks;
pub mod variants;

use serde::{Deserialize, Serialize};

/// The success envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Data<T> {
    /// The answer.
    pub data: T,
}

/// A page of a list, with its pagination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items on this page.
    pub data: Vec<T>,
    /// Where this page sits in the list.
    pub meta: PageMeta,
}

/// The `meta` of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageMeta {
    /// Counts and position.
    pub pagination: Pagination,
}

/// Counts and position of a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pagination {
    /// Items in the whole list.
    pub total: u64,
    /// Items on this page.
    pub count: u64,
    /// Page size asked for.
    pub per_page: u32,
    /// This page's number, from 1.
    pub current_page: u32,
    /// Pages in the whole list.
    pub total_pages: u32,
}

/// `perPage` and `page` query parameters of lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct PageQuery {
    /// Page size, 1 to 1000 (default 100).
    pub per_page: Option<u32>,
    /// Page number, from 1 (default 1).
    pub page: Option<u32>,
}

/// A result per uid for calls that act on several users (add members, block, friends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UidResult {
    /// `success` or `error`.
    pub status: String,
    /// Present on failure: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::api_error::ApiErrorBody>,
}

/// `{"success": true}`, the answer of deletes and marks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Success {
    /// Always true.
    pub success: bool,
    /// What happened, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

//! Parts shared by the pages.
//!
//! - [`form`]: labelled inputs, checkboxes, selects, the submit button.
//! - [`feedback`]: loading, errors, notices, secrets shown once, copy buttons, confirmation.
//! - [`load`]: a page's data as a resource, rendered by its state.

pub mod feedback;
pub mod form;
pub mod load;

pub use feedback::{confirm, CodeBlock, ErrorBox, LoadError, Loading, Notice, RevealSecret, SecretOnce};
pub use form::{Checkbox, SelectField, Submit, TextField};
pub use load::{loaded, run, Busy};

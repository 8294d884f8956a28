//! Sending files. Each file the visitor hands over becomes its own message at once: pending in the log (an
//! image, video or voice note with a local preview), uploaded with progress and a Cancel, then sent over the
//! socket like text, naming the upload by id, under the `muid` it was given when it was picked. A refused
//! upload says why and offers Retry and Remove; one that gets no answer (offline) waits and is uploaded
//! again once the connection is back, and the `muid` keeps its message stored exactly once.

use confab_protocol::api_error::ApiErrorBody;
use confab_protocol::realtime::ClientFrame;
use confab_protocol::rest::media::MediaKind;
use confab_protocol::rest::messages::{Attachment, MessageData, ReceiverType, SendMessage};
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::{new_muid, Chat, Item, Link, SendState};
use crate::components::attachments::show_progress;
use crate::media::js::{forget_url, object_url};
use crate::media::kinds::kind_of;
use crate::media::lazy;
use crate::media::picked::Picked;
use crate::media::upload::{reason, Outcome, Upload};

/// A file on its way, from the moment it is picked until its message is stored.
pub(super) struct Outgoing {
    /// The message's `muid`, also its key in the log.
    key: String,
    file: Picked,
    receiver: String,
    receiver_type: ReceiverType,
    /// The stored upload, once the server took it: its id and kind.
    media: Option<(String, MediaKind)>,
    /// The upload in flight.
    upload: Option<Upload>,
    /// The last upload got no answer: it goes again when the connection is back.
    waiting: bool,
    /// The local preview (an object URL), freed when the message is stored or removed.
    preview: Option<String>,
    /// A video's poster (a JPEG `Blob` made in the browser), once made: `Some(None)` when it could not be.
    poster: Option<Option<JsValue>>,
}

impl Outgoing {
    /// Stops its upload, if one is in flight, and frees its preview.
    fn free(self) {
        if let Some(upload) = &self.upload {
            upload.cancel();
        }
        if let Some(url) = &self.preview {
            forget_url(url);
        }
    }
}

impl Chat {
    /// Sends each of `files` to the open conversation as a message of its own. Files of a kind the
    /// variant does not allow are not sent; their names are returned.
    pub fn send_files(&self, files: Vec<Picked>) -> Vec<String> {
        let Some(peer) = self.active.get_untracked() else { return Vec::new() };
        let mut refused = Vec::new();
        for file in files {
            let kind = kind_of(&file.mime);
            if !self.features.allows_media(kind) {
                refused.push(file.name);
                continue;
            }
            let key = new_muid();
            let preview = (kind != "file").then(|| object_url(&file.file)).flatten();
            let attachment = Attachment {
                url: preview.clone().unwrap_or_default(),
                name: Some(file.name.clone()),
                mime_type: Some(file.mime.clone()),
                size: Some(file.size),
                ..Attachment::default()
            };
            let data = MessageData { attachments: Some(vec![attachment]), ..MessageData::default() };
            let message = self.pending_message(&peer, &key, kind, data);
            self.messages.update(|list| list.push(Item { key: key.clone(), message, state: SendState::Uploading }));
            let outgoing = Outgoing { key: key.clone(), file, receiver: peer.id.clone(), receiver_type: peer.kind, media: None, upload: None, waiting: false, preview, poster: None };
            self.with_session(|s| s.uploads.push(outgoing));
            self.upload(&key);
        }
        refused
    }

    /// Runs `f` on the file on its way under `key`, if there is one.
    fn with_outgoing<R>(&self, key: &str, f: impl FnOnce(&mut Outgoing) -> R) -> Option<R> {
        self.with_session(|s| s.uploads.iter_mut().find(|o| o.key == key).map(f))
    }

    /// Uploads the file under `key` (again); a video's poster is made first.
    fn upload(&self, key: &str) {
        let Some((file, poster)) = self.with_outgoing(key, |o| (o.file.clone(), o.poster.clone())) else { return };
        self.set_state(key, SendState::Uploading);
        if poster.is_none() && kind_of(&file.mime) == "video" {
            let (chat, key) = (*self, key.to_owned());
            leptos::task::spawn_local(async move {
                let made = match lazy::load("poster").await {
                    Ok(make) => match make.call1(&JsValue::NULL, &file.file) {
                        Ok(promise) => JsFuture::from(js_sys::Promise::from(promise)).await.ok().filter(|p| !p.is_null()),
                        Err(_) => None,
                    },
                    Err(_) => None,
                };
                // Removed while the poster was made: nothing to upload.
                if chat.with_outgoing(&key, |o| o.poster = Some(made)).is_some() {
                    chat.upload(&key);
                }
            });
            return;
        }
        let (api, token) = self.rest();
        let chat = *self;
        let (shown, done) = (key.to_owned(), key.to_owned());
        let poster = poster.flatten();
        let upload = Upload::start(&api, &token, &file.file, &file.name, poster.as_ref(), move |share| show_progress(&shown, share), move |outcome| chat.uploaded(&done, outcome));
        let started = upload.is_some();
        self.with_outgoing(key, |o| {
            o.upload = upload;
            o.waiting = !started;
        });
        if !started {
            self.set_state(key, SendState::Pending);
        }
    }

    /// What to do once the upload under `key` has its `outcome`.
    fn uploaded(&self, key: &str, outcome: Outcome) {
        // Cancelled or removed: nothing left to do.
        if self.with_outgoing(key, |o| o.upload = None).is_none() {
            return;
        }
        match outcome {
            Outcome::Stored(media) => {
                self.with_outgoing(key, |o| o.media = Some((media.id, media.kind)));
                self.send_uploaded(key);
            }
            Outcome::Refused { code, limit, message } => self.set_state(key, SendState::Failed(reason(self.text, code, limit, &message))),
            Outcome::Unanswered => {
                self.with_outgoing(key, |o| o.waiting = true);
                // Offline: it waits, shown as sending, for the connection. Online, the upload failed some
                // other way: Retry is offered (and it still goes again when the connection comes back).
                let state = match self.link.get_untracked() {
                    Link::Online | Link::Restored => SendState::Failed(self.text.upload_failed.to_owned()),
                    _ => SendState::Pending,
                };
                self.set_state(key, state);
            }
        }
    }

    /// Sends the message naming the stored upload under `key` (kept in the outbox until it is stored).
    fn send_uploaded(&self, key: &str) {
        let body = self.with_outgoing(key, |o| {
            let (id, kind) = o.media.clone()?;
            Some(SendMessage {
                receiver: o.receiver.clone(),
                receiver_type: o.receiver_type,
                category: None,
                message_type: kind.as_str().to_owned(),
                data: MessageData { attachments: Some(vec![Attachment { id: Some(id), ..Attachment::default() }]), ..MessageData::default() },
                muid: Some(key.to_owned()),
                tags: None,
                parent_id: None,
                quoted_message_id: None,
            })
        });
        let Some(body) = body.flatten() else { return };
        self.set_state(key, SendState::Pending);
        self.with_session(|s| s.outbox.push((key.to_owned(), body.clone())));
        self.send_frame(&ClientFrame::Send { message: body });
    }

    /// Retries the file message under `key`: uploads it again, or sends the stored upload again; false
    /// when `key` is no file message.
    pub(super) fn retry_file(&self, key: &str) -> bool {
        match self.with_outgoing(key, |o| o.media.is_some()) {
            Some(true) => self.send_uploaded(key),
            Some(false) => self.upload(key),
            None => return false,
        }
        true
    }

    /// Takes the file message under `key` out of the log, cancelling its upload.
    pub fn discard(&self, key: &str) {
        let outgoing = self.with_session(|s| {
            s.outbox.retain(|(m, _)| m != key);
            let at = s.uploads.iter().position(|o| o.key == key)?;
            Some(s.uploads.remove(at))
        });
        // Freed outside the session: aborting the upload calls its `done` at once.
        if let Some(outgoing) = outgoing {
            outgoing.free();
        }
        self.messages.update(|list| list.retain(|i| i.key != key));
    }

    /// Uploads again what waited for the connection.
    pub(super) fn resume_uploads(&self) {
        let waiting: Vec<String> = self.with_session(|s| s.uploads.iter().filter(|o| o.waiting && o.upload.is_none() && o.media.is_none()).map(|o| o.key.clone()).collect());
        for key in waiting {
            self.upload(&key);
        }
    }

    /// The send of the file message `key` was refused: `error` says why. Its Retry uploads the file again
    /// (the server may have refused the upload it named). False when `key` is no file message.
    pub(super) fn file_refused(&self, key: &str, error: &ApiErrorBody) -> bool {
        if self.with_outgoing(key, |o| o.media = None).is_none() {
            return false;
        }
        self.set_state(key, SendState::Failed(reason(self.text, error.code, error.details.limit, &error.message)));
        true
    }

    /// The file message `key` is stored: its file's work is done.
    pub(super) fn file_stored(&self, key: &str) {
        let outgoing = self.with_session(|s| {
            let at = s.uploads.iter().position(|o| o.key == key)?;
            Some(s.uploads.remove(at))
        });
        if let Some(outgoing) = outgoing {
            outgoing.free();
        }
    }
}

//! The uploads a send names: `data.attachments[i].id`. Each must be the sender's own upload (the REST API key
//! may also use its own), unused, and of a kind that fits the message type; the server then writes every
//! attachment field from the upload, so nothing a client says about a file is trusted.

use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::rest::messages::{Attachment, MessageData};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{Claimant, MediaRecord};

/// The ids of the uploads `data` attaches, in order.
pub fn upload_ids(data: &MessageData) -> Vec<String> {
    data.attachments.iter().flatten().filter_map(|a| a.id.clone()).collect()
}

/// Where attachment `index` is, for refusals.
fn field(index: usize) -> String {
    format!("data.attachments[{index}].id")
}

/// The attachment a message stores for `record`: everything from the upload, and URL paths that
/// [`MediaUrls`](super::urls::MediaUrls) replaces with signed ones on the way out.
pub fn stored_attachment(record: &MediaRecord) -> Attachment {
    Attachment {
        id: Some(record.id.clone()),
        url: format!("/v3/media/{}/content", record.id),
        name: Some(record.name.clone()),
        mime_type: Some(record.mime_type.clone()),
        size: Some(record.size),
        extension: Some(record.extension.clone()),
        width: record.width,
        height: record.height,
        thumbnail: record.thumb_size.map(|_| format!("/v3/media/{}/thumbnail", record.id)),
    }
}

/// Claims the uploads `data` names for the send of `claimant` and writes their attachments into `data`;
/// the claimed ids (none when it names no upload). Refuses an upload that is unknown, someone else's or used
/// by another message (404 `ERR_MEDIA_NOT_FOUND`), or that does not fit `message_type` (400
/// `ERR_MEDIA_TYPE_MISMATCH`), naming the attachment.
pub async fn claim(state: &AppState, app_id: &str, claimant: Claimant<'_>, message_type: &str, data: &mut MessageData) -> ApiResult<Vec<String>> {
    let ids = upload_ids(data);
    if ids.is_empty() {
        return Ok(ids);
    }
    let positions: Vec<usize> = data.attachments.iter().flatten().enumerate().filter(|(_, a)| a.id.is_some()).map(|(i, _)| i).collect();
    let records = match state.store.claim_media(app_id, &ids, claimant).await? {
        Ok(records) => records,
        Err(i) => {
            return Err(ApiError::not_found(ApiErrorCode::ErrMediaNotFound, format!("no upload {} this sender may attach", ids[i]))
                .with_field(&field(positions[i])))
        }
    };
    if let Some(i) = records.iter().position(|r| !r.kind.fits(message_type)) {
        state.store.release_media(app_id, &ids, claimant).await?;
        let kind = records[i].kind.as_str();
        return Err(ApiError::bad_field(&field(positions[i]), format!("a {message_type} message cannot carry this upload: it is a {kind} ({})", records[i].mime_type))
            .with_code(ApiErrorCode::ErrMediaTypeMismatch));
    }
    let mut records = records.iter();
    for attachment in data.attachments.iter_mut().flatten().filter(|a| a.id.is_some()) {
        *attachment = stored_attachment(records.next().expect("one record per id"));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_attachments_with_an_id_are_uploads() {
        let data = MessageData {
            attachments: Some(vec![
                Attachment { url: "https://cdn.example/x.png".into(), ..Default::default() },
                Attachment { id: Some("md_a".into()), ..Default::default() },
            ]),
            ..Default::default()
        };
        assert_eq!(upload_ids(&data), ["md_a"]);
    }
}

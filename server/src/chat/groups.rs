//! Who may see a group and act in it: a user cannot see a private group they are not in, and what a member
//! may do follows their scope ([`crate::policy`]).

use confab_protocol::api_error::ApiErrorCode;
use confab_protocol::rest::groups::{Group, GroupType};

use crate::api::groups::with_membership;
use crate::auth::{Actor, Caller};
use crate::error::{ApiError, ApiResult};
use crate::policy::{allows, GroupAction};
use crate::state::AppState;
use crate::store::{GroupRecord, Membership};
use crate::validate;

/// The sender of action messages the app itself causes.
pub const APP_SENDER: &str = confab_protocol::ids::APP_SENDER_UID;

/// A group the caller may see, with the caller's membership.
pub struct GroupAccess {
    /// The group.
    pub record: GroupRecord,
    /// Who acts.
    pub actor: Actor,
    /// The acting user's membership, if any.
    pub membership: Option<Membership>,
}

impl GroupAccess {
    /// The acting user's uid, or the app's sender name.
    pub fn actor_name(&self) -> &str {
        self.actor.uid().unwrap_or(APP_SENDER)
    }

    /// Refuses unless the app acts, or the acting member's scope allows `action`.
    pub fn require(&self, action: GroupAction) -> ApiResult<()> {
        match (&self.actor, self.membership) {
            (Actor::App, _) => Ok(()),
            (Actor::User(_), Some(m)) if allows(m.scope, action) => Ok(()),
            (Actor::User(_), Some(_)) => Err(ApiError::forbidden(
                ApiErrorCode::ErrGroupNoClearance,
                "your scope in this group does not allow this",
            )),
            (Actor::User(_), None) => Err(not_joined()),
        }
    }

    /// The group as the caller sees it.
    pub fn view(&self) -> Group {
        with_membership(self.record.group.clone(), self.membership)
    }
}

/// 403 `ERR_GROUP_NOT_JOINED`.
pub fn not_joined() -> ApiError {
    ApiError::forbidden(ApiErrorCode::ErrGroupNotJoined, "you are not a member of this group")
}

/// Loads `guid` for the caller; a user cannot see a private group they are not in.
pub async fn access(state: &AppState, caller: &Caller, guid: &str) -> ApiResult<GroupAccess> {
    let actor = caller.actor()?;
    let guid = validate::id("guid", guid)?;
    let record = state.store.group(caller.app_id(), &guid).await?.ok_or_else(|| ApiError::guid_not_found(&guid))?;
    let membership = match actor.uid() {
        Some(uid) => state.store.membership(caller.app_id(), &guid, uid).await?,
        None => None,
    };
    if actor != Actor::App && membership.is_none() && record.group.group_type == GroupType::Private {
        return Err(ApiError::guid_not_found(&guid));
    }
    Ok(GroupAccess { record, actor, membership })
}

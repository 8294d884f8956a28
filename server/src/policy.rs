//! Who may do what in a group: the privilege table of the product's concepts.
//!
//! | scope | may |
//! |---|---|
//! | admin | everything: update or delete the group, change who may join it (its type or password), add members of any scope, change anyone's scope, kick, ban and unban anyone |
//! | moderator | update the group's other fields, add participants, make participants moderators (and back), kick and ban participants, unban, see bans |
//! | participant | send and receive messages |
//!
//! The group's owner cannot be kicked, banned or have their scope changed by anyone; the app itself (the
//! REST API key without `onBehalfOf`) may do everything.

use confab_protocol::rest::groups::MemberScope;

/// Something a member may try in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupAction {
    /// Change the group's fields (but not who may join: see [`GroupAction::ChangeAccess`]).
    Update,
    /// Change who may join the group: its type (a private group made public opens its history to
    /// everyone) or its password. Admins only.
    ChangeAccess,
    /// Delete the group.
    Delete,
    /// Add a user with this scope.
    AddMember(MemberScope),
    /// Change a member's scope.
    ChangeScope {
        /// The member's scope now.
        target: MemberScope,
        /// The scope asked for.
        to: MemberScope,
    },
    /// Remove a member.
    Kick {
        /// The member's scope.
        target: MemberScope,
    },
    /// Remove a member and keep them out.
    Ban {
        /// The member's scope (participant for a non-member).
        target: MemberScope,
    },
    /// Let a banned user back.
    Unban,
    /// See the banned users.
    ListBanned,
}

/// Whether a member with scope `actor` may do `action`.
pub fn allows(actor: MemberScope, action: GroupAction) -> bool {
    use MemberScope::*;
    match (actor, action) {
        (Admin, _) => true,
        (Moderator, GroupAction::Update | GroupAction::Unban | GroupAction::ListBanned) => true,
        (Moderator, GroupAction::AddMember(scope)) => scope == Participant,
        (Moderator, GroupAction::ChangeScope { target, to }) => target == Participant && to != Admin,
        (Moderator, GroupAction::Kick { target } | GroupAction::Ban { target }) => target == Participant,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MemberScope::*;

    #[test]
    fn admins_may_do_everything() {
        for action in [
            GroupAction::Update,
            GroupAction::ChangeAccess,
            GroupAction::Delete,
            GroupAction::AddMember(Admin),
            GroupAction::ChangeScope { target: Admin, to: Participant },
            GroupAction::Kick { target: Admin },
            GroupAction::Ban { target: Moderator },
            GroupAction::Unban,
            GroupAction::ListBanned,
        ] {
            assert!(allows(Admin, action), "{action:?}");
        }
    }

    #[test]
    fn moderators_act_on_participants_only() {
        assert!(allows(Moderator, GroupAction::Update));
        assert!(!allows(Moderator, GroupAction::ChangeAccess), "a moderator may not make a private group public");
        assert!(!allows(Moderator, GroupAction::Delete));
        assert!(allows(Moderator, GroupAction::AddMember(Participant)));
        assert!(!allows(Moderator, GroupAction::AddMember(Moderator)));
        assert!(allows(Moderator, GroupAction::ChangeScope { target: Participant, to: Moderator }));
        assert!(!allows(Moderator, GroupAction::ChangeScope { target: Participant, to: Admin }));
        assert!(!allows(Moderator, GroupAction::ChangeScope { target: Moderator, to: Participant }));
        assert!(allows(Moderator, GroupAction::Kick { target: Participant }));
        assert!(!allows(Moderator, GroupAction::Kick { target: Admin }));
        assert!(!allows(Moderator, GroupAction::Ban { target: Moderator }));
        assert!(allows(Moderator, GroupAction::ListBanned));
    }

    #[test]
    fn participants_may_not_manage() {
        for action in [
            GroupAction::Update,
            GroupAction::ChangeAccess,
            GroupAction::AddMember(Participant),
            GroupAction::Kick { target: Participant },
            GroupAction::Kick { target: Admin },
            GroupAction::Unban,
            GroupAction::ListBanned,
        ] {
            assert!(!allows(Participant, action), "{action:?}");
        }
    }
}

//! [`GroupStore`] on PostgreSQL.

use async_trait::async_trait;
use confab_protocol::ids::ConversationKey;
use confab_protocol::rest::groups::{BannedUser, Group, GroupMember, MemberScope};
use confab_protocol::rest::messages::Message;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use super::messages::{fetch_message, insert_message, stored_message, HookPresence};
use super::rows::{self, json_text, push_json_patch, push_tags_patch, push_text_patch, GROUP_COLUMNS};
use super::{announce, is_unique_violation, like_pattern, lock_message_log, Changes, PostgresStore};
use crate::store::{
    GroupFilter, GroupPatch, GroupRecord, GroupStore, MemberChange, Membership, NewGroup, NewMessage, PageRequest,
    StoreError, StoreResult,
};

async fn fetch_group(conn: &mut PgConnection, app_id: &str, guid: &str) -> StoreResult<Option<GroupRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {GROUP_COLUMNS}, g.password_hash FROM groups g WHERE g.app_id = $1 AND g.guid = $2"
    ))
    .bind(app_id)
    .bind(guid)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok(GroupRecord { group: rows::group(&r)?, password_hash: r.try_get("password_hash")? })).transpose()
}

/// Opens a membership period for `uid` in `guid` (from the newest message committed so far) unless one is
/// open. Committed message ids are downward closed (module docs), so every message that commits later has
/// a greater id and falls in the period; one committing concurrently with the join may fall in it too.
async fn open_period(conn: &mut PgConnection, app_id: &str, guid: &str, uid: &str) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO membership_periods (app_id, guid, uid, from_id) \
         SELECT $1, $2, $3, COALESCE((SELECT MAX(id) FROM messages), 0) \
         WHERE NOT EXISTS (SELECT 1 FROM membership_periods WHERE app_id = $1 AND uid = $3 AND guid = $2 AND to_id IS NULL) \
         ON CONFLICT DO NOTHING",
    )
    .bind(app_id)
    .bind(guid)
    .bind(uid)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Closes `uid`'s open membership period in `guid` at message `to_id` (the action recording the removal,
/// so they see it).
async fn close_period(conn: &mut PgConnection, app_id: &str, guid: &str, uid: &str, to_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE membership_periods SET to_id = $1 WHERE app_id = $2 AND uid = $3 AND guid = $4 AND to_id IS NULL")
        .bind(to_id)
        .bind(app_id)
        .bind(uid)
        .bind(guid)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn put_member(conn: &mut PgConnection, app_id: &str, guid: &str, uid: &str, scope: MemberScope, now: i64) -> StoreResult<()> {
    open_period(conn, app_id, guid, uid).await?;
    sqlx::query("DELETE FROM group_bans WHERE app_id = $1 AND guid = $2 AND uid = $3")
        .bind(app_id)
        .bind(guid)
        .bind(uid)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO group_members (app_id, guid, uid, scope, joined_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (app_id, guid, uid) DO UPDATE SET scope = excluded.scope",
    )
    .bind(app_id)
    .bind(guid)
    .bind(uid)
    .bind(scope.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes `uid` from `guid`; their membership period stays open until [`close_period`].
async fn remove_member(conn: &mut PgConnection, app_id: &str, guid: &str, uid: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM group_members WHERE app_id = $1 AND guid = $2 AND uid = $3")
        .bind(app_id)
        .bind(guid)
        .bind(uid)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn put_ban(conn: &mut PgConnection, app_id: &str, guid: &str, uid: &str, now: i64) -> StoreResult<()> {
    remove_member(conn, app_id, guid, uid).await?;
    sqlx::query("INSERT INTO group_bans (app_id, guid, uid, banned_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(app_id)
        .bind(guid)
        .bind(uid)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[async_trait]
impl GroupStore for PostgresStore {
    fn membership_generation(&self) -> u64 {
        self.signals.membership.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn create_group(
        &self,
        app_id: &str,
        group: &NewGroup,
        members: &[(String, MemberScope)],
        bans: &[String],
    ) -> StoreResult<GroupRecord> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO groups (app_id, guid, name, group_type, password_hash, icon, description, metadata, owner, \
             tags, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(app_id)
        .bind(&group.guid)
        .bind(&group.name)
        .bind(group.group_type.as_str())
        .bind(&group.password_hash)
        .bind(&group.icon)
        .bind(&group.description)
        .bind(group.metadata.as_ref().map(json_text))
        .bind(&group.owner)
        .bind(&group.tags)
        .bind(group.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => StoreError::Conflict(format!("group {}", group.guid)),
            false => e.into(),
        })?;
        // A uid both listed as a member and banned is banned: never a member, never a reader.
        for (uid, scope) in members.iter().filter(|(uid, _)| !bans.contains(uid)) {
            put_member(&mut tx, app_id, &group.guid, uid, *scope, group.created_at).await?;
        }
        for uid in bans {
            put_ban(&mut tx, app_id, &group.guid, uid, group.created_at).await?;
        }
        let created = fetch_group(&mut tx, app_id, &group.guid).await?.ok_or(StoreError::Closed)?;
        announce(&mut tx, Changes::MEMBERSHIP).await?;
        tx.commit().await?;
        self.committed(Changes::MEMBERSHIP);
        Ok(created)
    }

    async fn group(&self, app_id: &str, guid: &str) -> StoreResult<Option<GroupRecord>> {
        let mut conn = self.pool.acquire().await?;
        fetch_group(&mut conn, app_id, guid).await
    }

    async fn update_group(&self, app_id: &str, guid: &str, patch: &GroupPatch, now: i64) -> StoreResult<Option<GroupRecord>> {
        let mut tx = self.pool.begin().await?;
        let mut query = QueryBuilder::<Postgres>::new("UPDATE groups SET updated_at = ");
        query.push_bind(now);
        if let Some(name) = &patch.name {
            query.push(", name = ").push_bind(name.as_str());
        }
        if let Some((group_type, password_hash)) = &patch.group_type {
            query.push(", group_type = ").push_bind(group_type.as_str());
            query.push(", password_hash = ").push_bind(password_hash.as_deref());
        }
        push_text_patch(&mut query, "icon", &patch.icon, None);
        push_text_patch(&mut query, "description", &patch.description, None);
        push_json_patch(&mut query, "metadata", &patch.metadata);
        if let Some(owner) = &patch.owner {
            query.push(", owner = ").push_bind(owner.as_str());
        }
        push_tags_patch(&mut query, "tags", &patch.tags);
        query.push(" WHERE app_id = ").push_bind(app_id).push(" AND guid = ").push_bind(guid);
        if query.build().execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(None);
        }
        if let Some(owner) = &patch.owner {
            put_member(&mut tx, app_id, guid, owner, MemberScope::Admin, now).await?;
        }
        let group = fetch_group(&mut tx, app_id, guid).await?;
        announce(&mut tx, Changes::MEMBERSHIP).await?;
        tx.commit().await?;
        self.committed(Changes::MEMBERSHIP);
        Ok(group)
    }

    async fn delete_group(&self, app_id: &str, guid: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // Ordered with sends (module docs): no message to the group can commit after its messages went.
        lock_message_log(&mut tx).await?;
        let deleted = sqlx::query("DELETE FROM groups WHERE app_id = $1 AND guid = $2")
            .bind(app_id)
            .bind(guid)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Ok(false);
        }
        let key = ConversationKey::group(guid).storage_key();
        for statement in [
            "DELETE FROM messages WHERE app_id = $1 AND conversation_key = $2",
            "DELETE FROM conversations WHERE app_id = $1 AND conversation_key = $2",
            "DELETE FROM read_marks WHERE app_id = $1 AND conversation_key = $2",
        ] {
            sqlx::query(statement).bind(app_id).bind(&key).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM membership_periods WHERE app_id = $1 AND guid = $2").bind(app_id).bind(guid).execute(&mut *tx).await?;
        announce(&mut tx, Changes::MEMBERSHIP).await?;
        tx.commit().await?;
        self.committed(Changes::MEMBERSHIP);
        Ok(true)
    }

    async fn list_groups(&self, app_id: &str, filter: &GroupFilter, page: PageRequest) -> StoreResult<(Vec<Group>, u64)> {
        let viewer = filter.viewer.clone().unwrap_or_default();
        let build = |select: &str| {
            let mut query = QueryBuilder::<Postgres>::new(format!(
                "SELECT {select} FROM groups g LEFT JOIN group_members me ON me.app_id = g.app_id \
                 AND me.guid = g.guid AND me.uid = "
            ));
            query.push_bind(viewer.clone());
            query.push(" WHERE g.app_id = ").push_bind(app_id.to_owned());
            if filter.viewer.is_some() {
                query.push(" AND (g.group_type != 'private' OR me.uid IS NOT NULL)");
            }
            if filter.joined_only {
                query.push(" AND me.uid IS NOT NULL");
            }
            if let Some(search) = &filter.search {
                // Text columns collate as "C": lower() folds ASCII only, as SQLite's does.
                let pattern = like_pattern(search);
                query.push(" AND (g.guid LIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
                query.push(" OR lower(g.name) LIKE ").push_bind(pattern).push(" ESCAPE '\\')");
            }
            if let Some(tag) = &filter.tag {
                query.push(" AND ").push_bind(tag.clone()).push(" = ANY(g.tags)");
            }
            query
        };
        let total: i64 = build("COUNT(*)").build_query_scalar().fetch_one(&self.pool).await?;
        let mut query = build(&format!("{GROUP_COLUMNS}, me.scope AS my_scope, me.joined_at AS my_joined_at"));
        // SQLite's `name COLLATE NOCASE`: ASCII case folded, then bytewise.
        query.push(" ORDER BY lower(g.name), g.guid LIMIT ").push_bind(i64::from(page.per_page));
        query.push(" OFFSET ").push_bind(page.offset());
        let rows = query.build().fetch_all(&self.pool).await?;
        let mut groups = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut group = rows::group(row)?;
            let scope: Option<String> = row.try_get("my_scope")?;
            group.scope = scope.as_deref().and_then(MemberScope::parse);
            group.has_joined = group.scope.is_some();
            group.joined_at = row.try_get("my_joined_at")?;
            groups.push(group);
        }
        Ok((groups, total as u64))
    }

    async fn membership(&self, app_id: &str, guid: &str, uid: &str) -> StoreResult<Option<Membership>> {
        let row = sqlx::query("SELECT scope, joined_at FROM group_members WHERE app_id = $1 AND guid = $2 AND uid = $3")
            .bind(app_id)
            .bind(guid)
            .bind(uid)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let scope: String = r.try_get(0)?;
            let scope = MemberScope::parse(&scope).ok_or_else(|| StoreError::Corrupt(format!("scope {scope}")))?;
            Ok(Membership { scope, joined_at: r.try_get(1)? })
        })
        .transpose()
    }

    async fn is_banned(&self, app_id: &str, guid: &str, uid: &str) -> StoreResult<bool> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM group_bans WHERE app_id = $1 AND guid = $2 AND uid = $3)")
            .bind(app_id)
            .bind(guid)
            .bind(uid)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn members(&self, app_id: &str, guid: &str, page: PageRequest) -> StoreResult<(Vec<GroupMember>, u64)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM group_members WHERE app_id = $1 AND guid = $2")
            .bind(app_id)
            .bind(guid)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(
            "SELECT gm.uid, u.name, u.avatar, gm.scope, gm.joined_at FROM group_members gm \
             JOIN users u ON u.app_id = gm.app_id AND u.uid = gm.uid WHERE gm.app_id = $1 AND gm.guid = $2 \
             ORDER BY CASE gm.scope WHEN 'admin' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END, gm.joined_at, gm.uid \
             LIMIT $3 OFFSET $4",
        )
        .bind(app_id)
        .bind(guid)
        .bind(i64::from(page.per_page))
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let members = rows
            .iter()
            .map(|r| {
                let scope: String = r.try_get(3)?;
                Ok(GroupMember {
                    uid: r.try_get(0)?,
                    name: r.try_get(1)?,
                    avatar: r.try_get(2)?,
                    scope: MemberScope::parse(&scope).ok_or_else(|| StoreError::Corrupt(format!("scope {scope}")))?,
                    joined_at: r.try_get(4)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((members, total as u64))
    }

    async fn member_uids(&self, app_id: &str, guid: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT uid FROM group_members WHERE app_id = $1 AND guid = $2")
            .bind(app_id)
            .bind(guid)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn banned(&self, app_id: &str, guid: &str, page: PageRequest) -> StoreResult<(Vec<BannedUser>, u64)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM group_bans WHERE app_id = $1 AND guid = $2")
            .bind(app_id)
            .bind(guid)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(
            "SELECT b.uid, u.name, b.banned_at FROM group_bans b JOIN users u ON u.app_id = b.app_id AND u.uid = b.uid \
             WHERE b.app_id = $1 AND b.guid = $2 ORDER BY b.banned_at, b.uid LIMIT $3 OFFSET $4",
        )
        .bind(app_id)
        .bind(guid)
        .bind(i64::from(page.per_page))
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(BannedUser { uid: r.try_get(0)?, name: r.try_get(1)?, banned_at: r.try_get(2)? }))
            .collect::<StoreResult<Vec<_>>>()
            .map(|banned| (banned, total as u64))
    }

    async fn change_member(&self, app_id: &str, guid: &str, change: &MemberChange, action: &NewMessage, now: i64) -> StoreResult<Message> {
        let mut tx = self.pool.begin().await?;
        // First: the action message is inserted below, and the join's period starts at the newest id.
        let locked = lock_message_log(&mut tx).await?;
        match change {
            MemberChange::Join { uid, scope } => put_member(&mut tx, app_id, guid, uid, *scope, now).await?,
            MemberChange::Leave { uid } => remove_member(&mut tx, app_id, guid, uid).await?,
            MemberChange::Scope { uid, scope } => {
                sqlx::query("UPDATE group_members SET scope = $1 WHERE app_id = $2 AND guid = $3 AND uid = $4")
                    .bind(scope.as_str())
                    .bind(app_id)
                    .bind(guid)
                    .bind(uid)
                    .execute(&mut *tx)
                    .await?;
            }
            MemberChange::Ban { uid } => put_ban(&mut tx, app_id, guid, uid, now).await?,
            MemberChange::Unban { uid } => {
                sqlx::query("DELETE FROM group_bans WHERE app_id = $1 AND guid = $2 AND uid = $3")
                    .bind(app_id)
                    .bind(guid)
                    .bind(uid)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let inserted = insert_message(&mut tx, &locked, app_id, action, &mut HookPresence::default()).await?;
        let message = match inserted.created {
            true => stored_message(inserted.id, action),
            false => fetch_message(&mut tx, app_id, inserted.id).await?.ok_or(StoreError::Closed)?,
        };
        if let MemberChange::Leave { uid } | MemberChange::Ban { uid } = change {
            close_period(&mut tx, app_id, guid, uid, inserted.id).await?;
        }
        let changes = Changes { messages: true, deliveries: inserted.deliveries > 0, membership: true };
        announce(&mut tx, changes).await?;
        tx.commit().await?;
        self.committed(changes);
        Ok(message)
    }
}

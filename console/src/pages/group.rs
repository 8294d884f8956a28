//! One group: its details, members with their scopes (change, kick, ban), banned users (unban), and a
//! link to its conversation.

use confab_protocol::rest::groups::{BannedUser, Group, GroupMember, MemberScope};
use confab_protocol::rest::Page;
use leptos::prelude::*;
use serde_json::json;

use crate::api;
use crate::components::{confirm, loaded, run, Busy, ErrorBox, Notice};
use crate::format::{utc, utc_opt};
use crate::route::{AppPage, Route};

/// The group page.
#[component]
pub fn GroupPage(app: String, guid: String) -> impl IntoView {
    let base = api::v3(&app, &format!("/groups/{}", api::seg(&guid)));
    // Bumped by every change to the members or bans: each list here reloads.
    let changes = RwSignal::new(0u32);
    let group = {
        let path = base.clone();
        LocalResource::new(move || {
            changes.track();
            let path = path.clone();
            async move { api::get::<Group>(&path).await }
        })
    };
    let back = Route::app(&app, AppPage::Groups);
    let conversation = Route::app(&app, AppPage::Conversation(format!("group_{guid}")));
    view! {
        <p class="crumbs"><a href=back>"Groups"</a></p>
        {loaded(group, move |g: Group| {
            let facts = [
                ("guid", g.guid.clone()),
                ("Type", g.group_type.as_str().to_owned()),
                ("Owner", g.owner.clone().unwrap_or_else(|| "—".into())),
                ("Members", g.members_count.to_string()),
                ("Description", g.description.clone().unwrap_or_else(|| "—".into())),
                ("Created", utc(g.created_at)),
                ("Changed", utc_opt(g.updated_at)),
            ];
            view! {
                <h1>{g.name.clone()}</h1>
                <dl class="facts wide">{facts.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd class="wrap">{v}</dd> }).collect_view()}</dl>
            }
        })}
        <p><a href=conversation>"Read the group's conversation"</a></p>
        <Members base=base.clone() changes=changes />
        <Banned base=base changes=changes />
    }
}

#[component]
fn Members(base: String, changes: RwSignal<u32>) -> impl IntoView {
    let path = format!("{base}/members?perPage=100");
    let members = LocalResource::new(move || {
        changes.track();
        let path = path.clone();
        async move { api::get_page::<Page<GroupMember>>(&path).await }
    });
    let state = Busy::new();
    let done = RwSignal::new(None::<String>);
    let act = {
        let base = base.clone();
        move |uid: String, what: &'static str| {
            let member = format!("{base}/members/{}", api::seg(&uid));
            let banned = format!("{base}/bannedusers/{}", api::seg(&uid));
            let question = match what {
                "kick" => format!("Remove {uid} from the group? They can join again unless the group is private."),
                _ => format!("Ban {uid} from the group? They are removed and cannot join again until unbanned."),
            };
            if !confirm(&question) {
                return;
            }
            run(
                state,
                async move {
                    match what {
                        "kick" => api::delete(&member, None).await,
                        _ => api::post::<serde_json::Value>(&banned, &json!({})).await.map(|_| ()),
                    }
                },
                move |_| {
                    done.set(Some(if what == "kick" { format!("{uid} was removed.") } else { format!("{uid} was banned.") }));
                    changes.update(|n| *n += 1);
                },
            );
        }
    };
    let scope_change = {
        let base = base.clone();
        move |uid: String, scope: String| {
            let path = format!("{base}/members/{}", api::seg(&uid));
            run(state, async move { api::put::<serde_json::Value>(&path, &json!({ "scope": scope })).await }, move |_| {
                done.set(Some(format!("{uid}'s scope is changed.")));
                changes.update(|n| *n += 1);
            });
        }
    };
    view! {
        <section aria-labelledby="group-members">
            <h2 id="group-members">"Members"</h2>
            <ErrorBox error=state.error />
            <Notice message=done />
            {loaded(members, move |page: Page<GroupMember>| {
                if page.data.is_empty() {
                    return view! { <p>"No members."</p> }.into_any();
                }
                let (act, scope_change) = (act.clone(), scope_change.clone());
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label="Member list">
                        <table>
                            <thead>
                                <tr><th scope="col">"Member"</th><th scope="col">"Scope"</th><th scope="col">"Joined"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr>
                            </thead>
                            <tbody>
                                {page.data.into_iter().map(|m| {
                                    let (kick, ban, change) = (act.clone(), act.clone(), scope_change.clone());
                                    let (u1, u2, u3) = (m.uid.clone(), m.uid.clone(), m.uid.clone());
                                    let select_id = format!("scope-{}", m.uid);
                                    let current = m.scope;
                                    view! {
                                        <tr>
                                            <td>{m.name.clone()}<br /><span class="mono small">{m.uid.clone()}</span></td>
                                            <td>
                                                <label class="visually-hidden" for=select_id.clone()>{format!("Scope of {}", m.uid)}</label>
                                                <select id=select_id on:change=move |ev| change(u3.clone(), event_target_value(&ev))>
                                                    {[MemberScope::Participant, MemberScope::Moderator, MemberScope::Admin].into_iter().map(|s| view! {
                                                        <option value=s.as_str() selected=s == current>{s.as_str()}</option>
                                                    }).collect_view()}
                                                </select>
                                            </td>
                                            <td>{utc(m.joined_at)}</td>
                                            <td class="actions">
                                                <button type="button" on:click=move |_| kick(u1.clone(), "kick")>
                                                    "Kick" <span class="visually-hidden">{format!(" {}", m.uid)}</span>
                                                </button>
                                                <button type="button" class="danger" on:click=move |_| ban(u2.clone(), "ban")>
                                                    "Ban" <span class="visually-hidden">{format!(" {}", m.uid)}</span>
                                                </button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            })}
        </section>
    }
}

#[component]
fn Banned(base: String, changes: RwSignal<u32>) -> impl IntoView {
    let path = format!("{base}/bannedusers?perPage=100");
    let banned = LocalResource::new(move || {
        changes.track();
        let path = path.clone();
        async move { api::get_page::<Page<BannedUser>>(&path).await }
    });
    let state = Busy::new();
    let unban = move |uid: String| {
        let path = format!("{base}/bannedusers/{}", api::seg(&uid));
        run(state, async move { api::delete(&path, None).await }, move |_| changes.update(|n| *n += 1));
    };
    view! {
        <section aria-labelledby="group-banned">
            <h2 id="group-banned">"Banned users"</h2>
            <ErrorBox error=state.error />
            {loaded(banned, move |page: Page<BannedUser>| {
                if page.data.is_empty() {
                    return view! { <p>"Nobody is banned."</p> }.into_any();
                }
                let unban = unban.clone();
                view! {
                    <ul class="plain">
                        {page.data.into_iter().map(|b| {
                            let unban = unban.clone();
                            let uid = b.uid.clone();
                            view! {
                                <li>
                                    {format!("{} ({}) · banned {} ", b.name, b.uid, utc(b.banned_at))}
                                    <button type="button" class="small" on:click=move |_| unban(uid.clone())>
                                        "Unban" <span class="visually-hidden">{format!(" {}", b.uid)}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            })}
        </section>
    }
}

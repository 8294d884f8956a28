//! The audit log: every change to keys, identity secret, app settings, variants, bots, webhooks and
//! delivery retries, newest first, by whom.

use confab_protocol::console::AuditEntry;
use confab_protocol::rest::Page;
use leptos::prelude::*;

use crate::api;
use crate::components::loaded;
use crate::format::{query, utc};
use crate::pages::Pager;

const PER_PAGE: u32 = 50;

/// The audit page.
#[component]
pub fn AuditPage(app: String) -> impl IntoView {
    let page = RwSignal::new(1u32);
    let entries = LocalResource::new(move || {
        let q = query(&[("page", page.get().to_string()), ("perPage", PER_PAGE.to_string())]);
        let path = api::app_path(&app, &format!("/audit{q}"));
        async move { api::get_page::<Page<AuditEntry>>(&path).await }
    });
    view! {
        <h1>"Audit log"</h1>
        <p class="muted">"Changes made in this console (by the owner's email) and with a REST API key (apikey:<key id>), newest first."</p>
        {loaded(entries, move |found: Page<AuditEntry>| {
            if found.data.is_empty() {
                return view! { <p>"Nothing recorded yet."</p> }.into_any();
            }
            let pagination = found.meta.pagination.clone();
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label="Audit log">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"What"</th>
                                <th scope="col">"On"</th>
                                <th scope="col">"Detail"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {found.data.into_iter().map(|e| view! {
                                <tr>
                                    <td>{utc(e.at)}</td>
                                    <td class="wrap">{e.actor}</td>
                                    <td class="mono">{e.action}</td>
                                    <td class="mono wrap">{e.target}</td>
                                    <td class="wrap">{e.detail}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <Pager pagination=pagination page=page />
            }
            .into_any()
        })}
    }
}

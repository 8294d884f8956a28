//! Group search, a page at a time.

use confab_protocol::rest::groups::Group;
use confab_protocol::rest::Page;
use leptos::prelude::*;

use crate::api;
use crate::components::{loaded, TextField};
use crate::format::query;
use crate::pages::Pager;
use crate::route::{AppPage, Route};

const PER_PAGE: u32 = 25;

/// The groups page.
#[component]
pub fn GroupsPage(app: String) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(1u32);
    let groups = {
        let app = app.clone();
        LocalResource::new(move || {
            let q = query(&[("searchKey", search.get()), ("perPage", PER_PAGE.to_string()), ("page", page.get().to_string())]);
            let path = api::v3(&app, &format!("/groups{q}"));
            async move { api::get_page::<Page<Group>>(&path).await }
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        page.set(1);
        search.set(typed.get_untracked().trim().to_owned());
    };
    view! {
        <h1>"Groups"</h1>
        <div role="search">
            <form on:submit=submit class="inline-form">
                <TextField label="Search by guid or name" value=typed input_type="search" />
                <button type="submit">"Search"</button>
            </form>
        </div>
        {loaded(groups, move |list: Page<Group>| {
            let app = app.clone();
            let pagination = list.meta.pagination.clone();
            if list.data.is_empty() {
                return view! { <p>"No group matches."</p> }.into_any();
            }
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label="Groups">
                    <table>
                        <thead>
                            <tr><th scope="col">"Group"</th><th scope="col">"Type"</th><th scope="col">"Members"</th></tr>
                        </thead>
                        <tbody>
                            {list.data.into_iter().map(|g| {
                                let href = Route::app(&app, AppPage::Group(g.guid.clone()));
                                view! {
                                    <tr>
                                        <td><a href=href>{g.name.clone()}</a><br /><span class="mono small">{g.guid.clone()}</span></td>
                                        <td>{g.group_type.as_str()}</td>
                                        <td>{g.members_count}</td>
                                    </tr>
                                }
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
